// One workspace, one run. The lock is a file in the data directory, named by a hash of the workspace's real path:
// never in the workspace, where nothing outside filesOwned may change and a file would show in `git status`.
// It is created whole and atomically (written aside, then link(2), which fails when the lock exists), removed in
// `finally`, and taken over when its holder is gone: a dead pid, or a pid from before the machine restarted.
import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { link, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { z } from "zod";
import { ConfigInvalid, WorkspaceLocked } from "../errors.ts";

/** What a lock file holds. Read leniently: a later version may add fields. */
export const LockRecord = z.object({
  pid: z.number().int().positive(),
  startedAt: z.string(),
  workspace: z.string(),
  host: z.string(),
  /** The kernel's id of the boot the holder ran in (Linux): a lock from an earlier boot is stale whatever its pid. */
  bootId: z.string().optional(),
});
export type LockRecord = z.infer<typeof LockRecord>;

export type LockState =
  | { kind: "held"; holder: LockRecord }
  | { kind: "stale"; holder: LockRecord | null; reason: string };
/** This machine, and the liveness answer for the record's pid (only asked when the record is this machine's). */
export type Here = { host: string; bootId: string | null; alive: boolean };

/** Pure: the lock file for a workspace (its real path). */
export function lockFileFor(lockDir: string, workspace: string): string {
  return path.join(lockDir, `${createHash("sha256").update(workspace).digest("hex")}.lock`);
}

/** Pure: a lock file's text as a record, or null when it is none (empty, not JSON, not a lock). */
export function parseLock(text: string): LockRecord | null {
  try {
    const parsed = LockRecord.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Pure: whether a lock still holds its workspace. Another machine's pid cannot be checked, so its lock holds. */
export function lockState(record: LockRecord | null, here: Here): LockState {
  if (record === null) return { kind: "stale", holder: null, reason: "the file is not a lock record" };
  if (record.host !== here.host) return { kind: "held", holder: record };
  if (record.bootId && here.bootId && record.bootId !== here.bootId)
    return { kind: "stale", holder: record, reason: "taken before this machine restarted" };
  if (!here.alive) return { kind: "stale", holder: record, reason: `pid ${record.pid} is not running` };
  return { kind: "held", holder: record };
}

/** Whether a pid runs: kill(pid, 0) delivers nothing; EPERM means it runs as another user. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** This boot of the machine (Linux), so a pid recorded before a restart is not mistaken for a live one. */
export function currentBootId(): string | null {
  try {
    return readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim() || null;
  } catch {
    return null;
  }
}

export type WorkspaceLock = {
  file: string;
  record: LockRecord;
  release(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
};
export type LockOptions = {
  lockDir: string;
  /** The workspace's real path. */
  workspace: string;
  /** Wait for a live holder (true), or refuse at once with WorkspaceLocked (false: --no-wait). */
  wait: boolean;
  /** Ctrl-C: stops the wait. */
  signal?: AbortSignal;
  /** How often a waiter looks again. */
  pollMs?: number;
  /** Once per holder waited for. */
  onWait?: (holder: LockRecord, file: string) => void;
  /** A stale lock was removed, to be taken. */
  onStale?: (holder: LockRecord | null, reason: string) => void;
};

/** Takes the workspace's lock, waiting for (or refusing) a live holder and taking over a stale one. */
export async function lockWorkspace(options: LockOptions): Promise<WorkspaceLock> {
  const { lockDir, workspace, signal } = options;
  await mkdir(lockDir, { recursive: true }).catch((error: NodeJS.ErrnoException) => {
    throw new ConfigInvalid(
      "XDG_DATA_HOME",
      `the lock directory ${lockDir} cannot be created (${error.code ?? error.message})`,
      "make it writable, or set XDG_DATA_HOME to a writable directory",
    );
  });
  const file = lockFileFor(lockDir, workspace);
  const bootId = currentBootId();
  const record: LockRecord = {
    pid: process.pid,
    startedAt: new Date().toISOString(),
    workspace,
    host: hostname(),
    ...(bootId ? { bootId } : {}),
  };
  const text = `${JSON.stringify(record)}\n`;
  const here = (held: LockRecord | null): Here => ({
    host: record.host,
    bootId,
    alive: held !== null && held.host === record.host && pidAlive(held.pid),
  });
  let toldPid: number | null = null;
  for (;;) {
    signal?.throwIfAborted();
    if (await createExclusive(file, text)) return held(file, record, text);
    const found = await readText(file);
    if (found === null) continue; // released between our two looks
    const holder = parseLock(found);
    const state = lockState(holder, here(holder));
    if (state.kind === "stale") {
      if (await takeOver(file, found, text, here)) {
        options.onStale?.(state.holder, state.reason);
        continue;
      }
    } else {
      if (!options.wait) throw new WorkspaceLocked(workspace, state.holder.pid, state.holder.host, file);
      if (toldPid !== state.holder.pid) options.onWait?.(state.holder, file);
      toldPid = state.holder.pid;
    }
    await sleep(options.pollMs ?? 200, undefined, { signal });
  }
}

function held(file: string, record: LockRecord, text: string): WorkspaceLock {
  let released = false;
  const release = async () => {
    if (released) return;
    released = true;
    // Only our own lock is removed: never one another run took over (it judged us gone).
    if ((await readText(file)) === text) await rm(file, { force: true });
  };
  return { file, record, release, [Symbol.asyncDispose]: release };
}

/** Creates `file` holding `text`, whole, unless it exists: written aside, then hard-linked into place. */
async function createExclusive(file: string, text: string): Promise<boolean> {
  const aside = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    await writeFile(aside, text);
    await link(aside, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  } finally {
    await rm(aside, { force: true });
  }
}

async function readText(file: string): Promise<string | null> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}

/**
 * Removes a stale lock so that it can be taken; true when it is gone. Two waiters may judge the same lock stale:
 * the removal happens under a guard file taken the same exclusive way, after reading the lock again, so the second
 * waiter finds the first one's fresh lock rather than removing it. A guard left by a holder killed inside these few
 * steps is itself stale by its pid.
 */
async function takeOver(
  file: string,
  staleText: string,
  guardText: string,
  here: (held: LockRecord | null) => Here,
): Promise<boolean> {
  const guard = `${file}.takeover`;
  if (!(await createExclusive(guard, guardText))) {
    const found = await readText(guard);
    const taker = found === null ? null : parseLock(found);
    if (found !== null && lockState(taker, here(taker)).kind === "stale") await rm(guard, { force: true });
    return false;
  }
  try {
    if ((await readText(file)) !== staleText) return false;
    await rm(file, { force: true });
    return true;
  } finally {
    await rm(guard, { force: true });
  }
}
