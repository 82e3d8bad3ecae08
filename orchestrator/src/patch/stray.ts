// Pure: text a small model puts inside a file's block that is not the file. Qwen2.5-Coder 1.5B, asked for whole
// files, opened its block with the path as a comment ("# text.py") and, once, opened a second fence inside the
// first: applied as written, the file gained a comment it never asked for, or a fence line that breaks it.
import { PatchRejected } from "../errors.ts";
import type { FileEdit } from "./types.ts";

const COMMENT = /^\s*(?:#+|\/\/|--|;+|\/\*)\s*(?:file(?:name)?:\s*)?(.+?)\s*(?:\*\/)?\s*$/i;
/** A fence line at the start of a line, as a block opens or closes: ```, ```python, ~~~. */
const FENCE_LINE = /^(`{3,}|~{3,})[\w+#.-]*\s*$/;
/** Files where a fence line is content, not a slip. */
const FENCED_TEXT = /\.(md|mdx|markdown|rst|txt)$/i;

/** A name without the quotes, backticks or bold around it and a trailing colon. */
const unquoted = (name: string) => name.replace(/^[`'"*]+|[`'"*:]+$/g, "");
const isPath = (name: string, path: string) => name === path || name === path.split("/").at(-1);

function namesPath(line: string, path: string): boolean {
  const named = COMMENT.exec(line)?.[1];
  return named !== undefined && isPath(unquoted(named), path);
}

/** The first line, when it is a comment naming the file itself and the file has no such line: a label, not code. */
function labelLine(lines: readonly string[], path: string, current: string | null): boolean {
  const first = lines[0];
  if (first === undefined || !namesPath(first, path)) return false;
  return !(current ?? "").split("\n").some((line) => line.trim() === first.trim());
}

/** The path alone on its line, as the prompt puts it above a block ("solution.py", "`solution.py`"). */
function barePath(line: string, path: string): boolean {
  return isPath(unquoted(line.trim()), path);
}

/**
 * How many lines at the top are the reply's wrapping, not the file: the path and an opening fence inside the block
 * (the 1.5B's plain-layout reply "```\nsolution.py\n```python\nCODE\n```": the example's label and fence, wrapped
 * in one more fence), or a comment naming the file.
 */
function wrappingLines(lines: readonly string[], path: string, current: string | null): number {
  const [first, second] = lines;
  const named = first !== undefined && (barePath(first, path) || namesPath(first, path));
  if (named && second !== undefined && FENCE_LINE.test(second) && fenceLines(current) === 0) return 2;
  return labelLine(lines, path, current) ? 1 : 0;
}

/** The edit without a leading comment that only names its file (whole files, and blocks that named no file). */
export function withoutPathLabel(edit: FileEdit, path: string, current: string | null): FileEdit {
  if (edit.kind === "whole") {
    const lines = edit.content.split("\n");
    const wrapping = wrappingLines(lines, path, current);
    return wrapping > 0 ? { ...edit, content: lines.slice(wrapping).join("\n") } : edit;
  }
  if (edit.kind !== "hunks" || !edit.unnamed || edit.hunks.length !== 1) return edit;
  const [hunk] = edit.hunks;
  const wrapping = wrappingLines(
    hunk!.lines.map((line) => line.text),
    path,
    current,
  );
  return wrapping > 0 ? { ...edit, hunks: [{ ...hunk!, lines: hunk!.lines.slice(wrapping) }] } : edit;
}

/** Names with a source or config extension: "# dict.get" or "// Math.max" in code name no file. */
const SOURCE_FILE =
  /\.(py|pyi|ts|tsx|js|jsx|mjs|cjs|go|rs|java|kt|rb|php|c|h|cc|cpp|hpp|cs|swift|sh|json|ya?ml|toml|ini|cfg|md|txt|html|css|sql)$/i;

/** The file a comment line names when it names only a file ("# grade_school_test.py"), else null. */
function labelledFile(line: string): string | null {
  const comment = COMMENT.exec(line)?.[1];
  const named = comment === undefined ? undefined : unquoted(comment);
  return named !== undefined && /^[\w@+-][\w./@+-]*$/.test(named) && SOURCE_FILE.test(named) ? named : null;
}

/**
 * One block holding two files, the second after a comment naming it ("# grade_school_test.py", the 0.5B's
 * Exercism replies): the edit of `path` ends there, and what follows is a whole-file edit of the named file (which
 * planPatch applies if owned and leaves out if not). A label the file itself already has is code, not a boundary.
 */
export function splitAtFileLabels(edit: FileEdit, path: string, current: string | null): FileEdit[] {
  const lines =
    edit.kind === "whole"
      ? edit.content.split("\n")
      : edit.kind === "hunks" && edit.unnamed && edit.hunks.length === 1
        ? edit.hunks[0]!.lines.map((line) => line.text)
        : null;
  if (!lines) return [edit];
  const has = new Set((current ?? "").split("\n").map((line) => line.trim()));
  const at = lines.findIndex((line, index) => {
    const named = index > 0 ? labelledFile(line) : null;
    return named !== null && !namesPath(line, path) && !has.has(line.trim());
  });
  if (at < 0) return [edit];
  const other: FileEdit = {
    kind: "whole",
    name: labelledFile(lines[at]!)!,
    content: `${lines
      .slice(at + 1)
      .join("\n")
      .replace(/\n*$/, "")}\n`,
  };
  const mine: FileEdit =
    edit.kind === "whole"
      ? { ...edit, content: `${lines.slice(0, at).join("\n").replace(/\n*$/, "")}\n` }
      : { ...edit, hunks: [{ ...edit.hunks[0]!, lines: edit.hunks[0]!.lines.slice(0, at) }] };
  return [mine, ...splitAtFileLabels(other, other.kind === "whole" ? other.name : path, null)];
}

const fenceLines = (text: string | null) => (text ?? "").split("\n").filter((line) => FENCE_LINE.test(line)).length;

/** Refuses a change that adds a fence line to a code file: one block was opened inside another. */
export function refuseStrayFence(path: string, before: string | null, after: string | null): void {
  if (FENCED_TEXT.test(path) || fenceLines(after) <= fenceLines(before)) return;
  const fence = (after ?? "").split("\n").find((line) => FENCE_LINE.test(line))!;
  throw new PatchRejected(
    `the new ${path} would hold the line ${fence.trim()}, a code fence: the reply opens one code block inside another; send ${path} in a single fenced block, with its path alone on the line above`,
    path,
  );
}
