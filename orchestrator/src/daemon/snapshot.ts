// The owned files before a daemon task starts, saved in the queue so that a daemon killed mid-task can put them
// back before the task starts again: the workspace is never left with an attempt's unverified edits.
import type { SavedSnapshot } from "../queue/queue.ts";
import type { Snapshot } from "../task/workspace.ts";

export function saveSnapshot(snap: Snapshot): SavedSnapshot {
  const files: SavedSnapshot["files"] = {};
  for (const [rel, state] of snap.files) files[rel] = state ? { content: state.content.toString("base64"), mode: state.mode } : null;
  return { files, createdDirs: snap.createdDirs };
}

export function loadSnapshot(root: string, saved: SavedSnapshot): Snapshot {
  const files: Snapshot["files"] = new Map();
  for (const [rel, state] of Object.entries(saved.files)) files.set(rel, state ? { content: Buffer.from(state.content, "base64"), mode: state.mode } : null);
  return { root, files, createdDirs: saved.createdDirs };
}
