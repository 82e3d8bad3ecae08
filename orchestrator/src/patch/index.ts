// The patch pipeline: extract → parse → resolve paths → apply in memory → check. Pure: files in, changes out.
import { applyPatch, createTwoFilesPatch, parsePatch, type StructuredPatch } from "diff";
import { PatchRejected } from "../errors.ts";
import type { FileChange } from "../workspace.ts";
import { extractDiff } from "./extract.ts";
import { DEV_NULL, resolveHeaderPath } from "./paths.ts";

export type PatchPlan = {
  changes: FileChange[];
  /** The applied change as a unified diff, for logs and the next prompt. */
  diff: string;
  linesChanged: number;
};
export type PatchInput = {
  reply: string;
  /** Current content of every owned file; null when the file does not exist. */
  files: ReadonlyMap<string, string | null>;
  maxChangedLines: number;
};

function parse(diffText: string): StructuredPatch[] {
  try {
    return parsePatch(diffText).filter((file) => file.hunks.length > 0 || file.oldFileName || file.newFileName);
  } catch (error) {
    throw new PatchRejected(`the diff could not be parsed: ${(error as Error).message}`);
  }
}

function countChanged(files: StructuredPatch[]): number {
  return files.flatMap((file) => file.hunks.flatMap((hunk) => hunk.lines)).filter((line) => /^[+-]/.test(line)).length;
}

type GitModes = { oldMode?: string; newMode?: string; isCreate?: boolean };

function applyOne(file: StructuredPatch, owned: ReadonlySet<string>, current: Map<string, string | null>): FileChange {
  const modes = file as StructuredPatch & GitModes;
  const oldPath = resolveHeaderPath(file.oldFileName ?? file.newFileName ?? "", owned);
  const newPath = resolveHeaderPath(file.newFileName ?? file.oldFileName ?? "", owned);
  const path = newPath === DEV_NULL ? oldPath : newPath;
  if (path === DEV_NULL) throw new PatchRejected("a file section names /dev/null on both sides");
  if (oldPath !== DEV_NULL && newPath !== DEV_NULL && oldPath !== newPath) {
    throw new PatchRejected(`renames are not supported (${oldPath} → ${newPath})`, path);
  }
  const changesMode = modes.oldMode !== undefined && modes.newMode !== undefined && modes.oldMode !== modes.newMode;
  const oddNewMode = modes.isCreate && modes.newMode !== undefined && modes.newMode !== "100644";
  if (changesMode || oddNewMode) throw new PatchRejected("changing file modes is not allowed", path);

  const before = current.get(path) ?? null;
  if (oldPath === DEV_NULL && before !== null) throw new PatchRejected("the patch creates a file that already exists", path);
  if (oldPath !== DEV_NULL && before === null) throw new PatchRejected("the patch edits a file that does not exist", path);
  const after = applyPatch(before ?? "", file);
  if (after === false) throw new PatchRejected("a hunk does not match the file's current content", path);
  if (newPath === DEV_NULL) {
    if (after !== "") throw new PatchRejected("the deletion does not remove the whole file", path);
    return { path, content: null };
  }
  return { path, content: after };
}

/** Plans the file changes a reply asks for. Throws PatchRejected with a reason the model can act on. */
export function planPatch({ reply, files, maxChangedLines }: PatchInput): PatchPlan {
  const diffText = extractDiff(reply);
  if (diffText === null) throw new PatchRejected("no unified diff found in the reply");
  const parsed = parse(diffText);
  if (parsed.length === 0) throw new PatchRejected("the diff contains no file changes");
  const linesChanged = countChanged(parsed);
  if (linesChanged > maxChangedLines) {
    throw new PatchRejected(`the patch changes ${linesChanged} lines, more than the limit of ${maxChangedLines}`);
  }
  const owned = new Set(files.keys());
  const current = new Map(files);
  for (const file of parsed) {
    const change = applyOne(file, owned, current);
    current.set(change.path, change.content);
  }
  const changes: FileChange[] = [];
  const diffs: string[] = [];
  for (const [path, before] of files) {
    const after = current.get(path) ?? null;
    if (after === before) continue;
    changes.push({ path, content: after });
    diffs.push(createTwoFilesPatch(before === null ? DEV_NULL : `a/${path}`, after === null ? DEV_NULL : `b/${path}`, before ?? "", after ?? ""));
  }
  if (changes.length === 0) throw new PatchRejected("the patch changes nothing");
  return { changes, diff: diffs.join(""), linesChanged };
}
