// Pure: which of a reply's edits are the task's owned files: by name (git's a/ b/ prefixes allowed), or, with one
// owned file, a lone listing under another name that is that file written afresh.
import { redefinedFile } from "./definitions.ts";
import { joinText, splitText } from "./text.ts";
import type { FileEdit } from "./types.ts";

/**
 * One owned file of definitions, and a reply whose one whole-file listing names another file but defines again every
 * function and class of the owned one: the owned file under a wrong name, read as it (Aider's whole-file coder writes
 * a lone listing to the one file in the chat). The 0.5B named hexadecimal.py "hexa.py" after its function, both
 * tries refused, where the baseline solved it. Any other listing of an unowned file stays as it is (refused below).
 */
export function misnamedAsOwned(edits: FileEdit[], path: string, current: string | null): FileEdit[] {
  if (current === null || edits.some((edit) => editsOwned(edit, new Set([path])))) return edits;
  const wholes = edits.filter((edit) => edit.kind === "whole");
  if (wholes.length !== 1 || edits.length !== 1) return edits;
  const [edit] = wholes;
  if (edit?.kind !== "whole" || TEST_FILE.test(edit.name) || importsItself(edit.content, path)) return edits;
  const block = splitText(edit.content);
  const file = redefinedFile(splitText(current).lines, block.lines);
  // The owned file's imports the listing lacks are kept above it, as for any file written afresh.
  return file === null ? edits : [{ kind: "whole", name: path, content: joinText({ ...block, lines: file }) }];
}

/** A test's name (test_x.py, x_test.py, x.test.ts, x.spec.js, tests/…): never read as the file it tests. */
const TEST_FILE = /(^|\/)(tests?\/|test_[^/]*$|[^/]*[_.](test|spec)\.[^/.]+$)/;

/** Whether a listing imports the owned module itself (a test that carries its own copy of the function). */
function importsItself(content: string, path: string): boolean {
  const module =
    path
      .split("/")
      .at(-1)
      ?.replace(/\.[^.]+$/, "") ?? "";
  const escaped = module.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`^\\s*(from\\s+${escaped}\\s+import|import\\s+${escaped}\\b)`, "m").test(content);
}

/** Whether an edit names an owned file (with or without git's a/ b/ prefixes). */
export function editsOwned(edit: FileEdit, owned: ReadonlySet<string>): boolean {
  const names = edit.kind === "whole" ? [edit.name] : edit.kind === "hunks" ? [edit.oldName, edit.newName] : [];
  return names.some((name) => owned.has(name) || owned.has(name.replace(/^[ab]\//, "")));
}
