// A landing under way, saved in the queue: a daemon killed while writing a verified change into a workspace is
// followed by one that undoes the files the landing wrote, where nobody has changed them since, and no others.
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { SavedSnapshot } from "../queue/queue.ts";
import type { FileChange } from "../patch/types.ts";
import { restore, type Snapshot } from "../task/workspace.ts";

export function saveSnapshot(snap: Snapshot, writing: FileChange[]): SavedSnapshot {
  const files: SavedSnapshot["files"] = {};
  for (const [rel, state] of snap.files)
    files[rel] = state ? { content: state.content.toString("base64"), mode: state.mode } : null;
  const written: SavedSnapshot["writing"] = {};
  for (const change of writing)
    written[change.path] = change.content === null ? null : Buffer.from(change.content).toString("base64");
  return { files, createdDirs: snap.createdDirs, writing: written };
}

/** Puts back each file the landing wrote that still holds what it wrote; returns how many. */
export async function undoLanding(root: string, saved: SavedSnapshot): Promise<number> {
  if (Object.keys(saved.writing).length === 0) return 0;
  const files: Snapshot["files"] = new Map();
  for (const [rel, written] of Object.entries(saved.writing)) {
    const now = await readFile(path.join(root, rel)).catch(() => null);
    const asLeft = written === null ? now === null : now !== null && now.equals(Buffer.from(written, "base64"));
    const before = saved.files[rel];
    if (asLeft && before !== undefined)
      files.set(rel, before ? { content: Buffer.from(before.content, "base64"), mode: before.mode } : null);
  }
  await restore({
    root,
    files,
    createdDirs: files.size === Object.keys(saved.writing).length ? saved.createdDirs : [],
  });
  return files.size;
}
