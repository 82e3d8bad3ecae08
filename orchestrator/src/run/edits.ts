// Where a task's edits live. In place (run, HumanEval): each attempt writes the workspace, and is undone before the
// next. Private (the daemon): attempts never touch the workspace; verification sees the edit on top of it in its
// view, and a verified edit lands only on the workspace it was verified against: re-verified first if anything
// changed since, refused as a conflict if an owned file did. Landings on one workspace take turns.
import { Mutex } from "async-mutex";
import { LandingConflict } from "../errors.ts";
import type { PreparedTask } from "../task/prepared.ts";
import { workspaceFingerprint } from "../task/fingerprint.ts";
import { applyChanges, readOwned, restore, snapshot, type FileState, type Snapshot } from "../task/workspace.ts";
import type { FileChange } from "../patch/types.ts";
import type { Candidate } from "../sandbox/view.ts";
import type { CheckResult } from "../verify/check.ts";

/**
 * Told when a private edit starts writing the workspace (the owned files as they were, and what is being written)
 * and when it is done, commit included: what a daemon killed in between needs to undo the landing.
 */
export type LandingHooks = { started(before: Snapshot, writing: FileChange[]): Promise<void>; ended(): Promise<void> };
export type LandResult = { landed: true; rechecked: boolean } | { landed: false; recheck: CheckResult };

export type Edits = {
  readonly private: boolean;
  /** The owned files as every attempt starts from them. */
  read(): Promise<Map<string, string | null>>;
  /** An attempt's edit: written to the workspace, or kept as the candidate. */
  apply(changes: FileChange[]): Promise<void>;
  /** What verification must see on top of the workspace; undefined when the edit is in the workspace itself. */
  candidate(): Candidate | undefined;
  /** Back to the original files: the workspace restored, or the candidate dropped. */
  reset(): Promise<void>;
  /** The workspace's state as a verification starts, to hand to land. */
  fingerprint(): Promise<string>;
  /** Private only: lands the verified candidate (see above); throws LandingConflict. In place: already there. */
  land(since: string, recheck: () => Promise<CheckResult>, diff: string): Promise<LandResult>;
  /** The landing (commit included) is over: nothing is half-written any more. */
  landed(): Promise<void>;
  /** Runs `work` in the workspace's turn for landings (the commit of a private edit); in place: at once. */
  serialize<T>(work: () => Promise<T>): Promise<T>;
};

async function readAll(task: Pick<PreparedTask, "root" | "filesOwned">): Promise<Map<string, string | null>> {
  const files = new Map<string, string | null>();
  for (const rel of task.filesOwned) files.set(rel, await readOwned(task.root, rel));
  return files;
}

export async function inPlaceEdits(task: PreparedTask): Promise<Edits> {
  const original = await snapshot(task.root, task.filesOwned);
  return {
    private: false,
    read: () => readAll(task),
    apply: (changes) => applyChanges(task.root, changes),
    candidate: () => undefined,
    reset: () => restore(original),
    fingerprint: async () => "",
    land: async () => ({ landed: true, rechecked: false }),
    landed: async () => undefined,
    serialize: (work) => work(),
  };
}

/** One turn for landings per workspace, for the whole process: every task of the daemon lands through it. */
const turns = new Map<string, Mutex>();
function turnFor(root: string): Mutex {
  const turn = turns.get(root) ?? new Mutex();
  turns.set(root, turn);
  return turn;
}
const MAX_RECHECKS = 3;
function sameState(a: FileState | undefined, b: FileState | undefined): boolean {
  if (!a || !b) return !a && !b;
  return a.mode === b.mode && a.content.equals(b.content);
}

export async function privateEdits(task: PreparedTask, hooks?: LandingHooks): Promise<Edits> {
  const base = await snapshot(task.root, task.filesOwned);
  const baseFiles = await readAll(task);
  let candidate: Map<string, string | null> | null = null;
  let landing = false;

  async function conflicts(): Promise<{ now: Snapshot; changed: string[] }> {
    const now = await snapshot(task.root, task.filesOwned);
    return { now, changed: task.filesOwned.filter((rel) => !sameState(now.files.get(rel), base.files.get(rel))) };
  }

  return {
    private: true,
    read: async () => new Map(baseFiles),
    async apply(changes) {
      candidate = new Map(baseFiles);
      for (const change of changes) candidate.set(change.path, change.content);
    },
    candidate: () => candidate ?? baseFiles,
    async reset() {
      candidate = null;
    },
    fingerprint: () => workspaceFingerprint(task.root),
    async land(since, recheck, diff) {
      return turnFor(task.root).runExclusive(async () => {
        const before = await conflicts();
        if (before.changed.length > 0) throw new LandingConflict(before.changed, diff);
        // Another task landed, or the user edited: what passed may no longer pass on what is there now. Checked
        // again until the workspace holds still through a whole check (a few times at most).
        let mark = since;
        let rechecked = false;
        for (let round = 0; (await workspaceFingerprint(task.root)) !== mark; round++) {
          if (round === MAX_RECHECKS) {
            return {
              landed: false,
              recheck: {
                passed: false,
                errors: ["the workspace kept changing while the change was checked on it"],
                output: "",
                durationMs: 0,
                decidedBy: "landing",
              },
            };
          }
          mark = await workspaceFingerprint(task.root);
          rechecked = true;
          const result = await recheck();
          if (!result.passed) return { landed: false, recheck: result };
        }
        const { now, changed } = await conflicts();
        if (changed.length > 0) throw new LandingConflict(changed, diff);
        const writing = [...(candidate ?? [])]
          .map(([path, content]) => ({ path, content }))
          .filter(({ path, content }) => content !== baseFiles.get(path));
        await hooks?.started(now, writing);
        landing = true;
        try {
          await applyChanges(task.root, writing);
        } catch (error) {
          await restore(now); // nothing half-written: all of it, or none
          throw error;
        }
        return { landed: true, rechecked };
      });
    },
    async landed() {
      if (landing) await hooks?.ended();
      landing = false;
    },
    serialize: (work) => turnFor(task.root).runExclusive(work),
  };
}
