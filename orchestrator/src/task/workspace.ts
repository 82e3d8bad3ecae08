// The workspace on disk: owned-path safety, snapshots, atomic writes, restore, commit.
// This is the only module that writes into a workspace.
import { randomBytes } from "node:crypto";
import { lstat, mkdir, readFile, realpath, rename, rm, rmdir, stat, writeFile, chmod } from "node:fs/promises";
import path from "node:path";
import { CommitFailed, GitFailed, PatchRejected, TaskInvalid } from "../errors.ts";
import { commitFailure } from "./commitFailure.ts";
import { git } from "./git.ts";
import { normaliseOwnedPath } from "../patch/paths.ts";
import type { FileChange } from "../patch/types.ts";

export type FileState = { content: Buffer; mode: number } | null;
export type Snapshot = { root: string; files: Map<string, FileState>; createdDirs: string[] };

/** Resolves and checks the workspace directory; returns its real path. */
export async function resolveWorkspace(dir: string): Promise<string> {
  const fix = "pass --workspace with an existing directory";
  try {
    const real = await realpath(dir);
    if (!(await stat(real)).isDirectory()) throw new TaskInvalid("workspace", `${dir} is not a directory`, fix);
    return real;
  } catch (error) {
    if (error instanceof TaskInvalid) throw error;
    throw new TaskInvalid("workspace", `${dir} does not exist`, fix);
  }
}

function isInside(root: string, candidate: string): boolean {
  return candidate === root || candidate.startsWith(root + path.sep);
}

async function exists(p: string): Promise<boolean> {
  return lstat(p).then(
    () => true,
    () => false,
  );
}

/** Checks every owned path against the real file system (symlinks included). Returns normalised paths. */
export async function checkOwnedPaths(root: string, owned: string[]): Promise<string[]> {
  const result: string[] = [];
  for (const [index, raw] of owned.entries()) {
    const field = `filesOwned.${index}`;
    const fix = "list files inside the workspace, relative to it, e.g. src/index.ts";
    const normal = normaliseOwnedPath(raw);
    if ("problem" in normal) throw new TaskInvalid(field, `"${raw}" ${normal.problem}`, fix);
    // Walk up to the deepest existing ancestor; its real path must stay inside the workspace.
    let probe = path.join(root, normal.path);
    while (!(await exists(probe))) probe = path.dirname(probe);
    const real = await realpath(probe).catch(() => null);
    if (real === null || !isInside(root, real)) {
      throw new TaskInvalid(field, `"${raw}" leads outside the workspace through a symlink`, fix);
    }
    const full = path.join(root, normal.path);
    const probeIsDirectory = (await stat(real)).isDirectory();
    if (probe === full && probeIsDirectory)
      throw new TaskInvalid(field, `"${raw}" is a directory`, "list files, not directories");
    if (probe !== full && !probeIsDirectory) {
      throw new TaskInvalid(field, `"${raw}" goes through ${path.relative(root, probe)}, which is a file`, fix);
    }
    if (probe === full && (await lstat(full)).isSymbolicLink()) {
      // Atomic writes would replace the link with a file; owning the target is the honest way.
      throw new TaskInvalid(field, `"${raw}" is a symlink`, "list the file it points to instead");
    }
    if (!result.includes(normal.path)) result.push(normal.path);
  }
  return result;
}

export async function snapshot(root: string, owned: string[]): Promise<Snapshot> {
  const files = new Map<string, FileState>();
  const createdDirs = new Set<string>();
  for (const rel of owned) {
    const full = path.join(root, rel);
    const info = await stat(full).catch(() => null);
    files.set(rel, info ? { content: await readFile(full), mode: info.mode & 0o7777 } : null);
    for (let dir = path.dirname(full); dir !== root && !(await exists(dir)); dir = path.dirname(dir)) {
      createdDirs.add(dir);
    }
  }
  // Deepest first, so restore can remove them in order.
  return { root, files, createdDirs: [...createdDirs].sort((a, b) => b.length - a.length) };
}

/**
 * An owned file's text, or null when it is missing. Anything but a regular file reached through real directories
 * counts as missing: verification may have planted a symlink to a host file, or a FIFO that would block the read.
 */
export async function readOwned(root: string, rel: string): Promise<string | null> {
  if (!(await realParents(root, rel))) return null;
  const full = path.join(root, rel);
  const info = await lstat(full).catch(() => null);
  return info?.isFile() ? readFile(full, "utf8").catch(() => null) : null;
}

/** Whether every directory between root and the file is a real directory (or absent): no symlink or `..` leads out. */
export async function realParents(root: string, rel: string): Promise<boolean> {
  let dir = root;
  for (const part of path
    .dirname(rel)
    .split("/")
    .filter((p) => p && p !== ".")) {
    if (part === "..") return false;
    dir = path.join(dir, part);
    const info = await lstat(dir).catch(() => null);
    if (!info) return true;
    if (!info.isDirectory()) return false;
  }
  return true;
}

/** Removes whatever verification put where an owned file's directories should be (a symlink, a file, a FIFO). */
async function repairParents(root: string, rel: string): Promise<void> {
  let dir = root;
  for (const part of path
    .dirname(rel)
    .split("/")
    .filter((p) => p && p !== ".")) {
    dir = path.join(dir, part);
    const info = await lstat(dir).catch(() => null);
    if (!info) return;
    if (!info.isDirectory()) await rm(dir, { force: true }); // a symlink is unlinked, never followed
  }
}

async function writeAtomic(full: string, content: string | Buffer, mode?: number): Promise<void> {
  await mkdir(path.dirname(full), { recursive: true });
  const temp = `${full}.${randomBytes(4).toString("hex")}.smol.tmp`;
  try {
    await writeFile(temp, content);
    if (mode !== undefined) await chmod(temp, mode);
    await rename(temp, full);
  } finally {
    await rm(temp, { force: true });
  }
}

/**
 * Verification runs model-written code between attempts, and it may have swapped a directory for a symlink.
 * So every path is checked again, against the real file system, right before anything is written.
 */
async function assertWritable(root: string, changes: FileChange[]): Promise<void> {
  try {
    await checkOwnedPaths(
      root,
      changes.map((change) => change.path),
    );
  } catch (error) {
    if (!(error instanceof TaskInvalid)) throw error;
    throw new PatchRejected(`unsafe path: ${error.problem}`, changes[Number(error.field.split(".")[1])]?.path);
  }
}

/** Writes every change (each file atomically), after checking every path is still safe to write. */
export async function applyChanges(root: string, changes: FileChange[]): Promise<void> {
  await assertWritable(root, changes);
  for (const change of changes) {
    const full = path.join(root, change.path);
    if (change.content === null) {
      await rm(full, { force: true });
      continue;
    }
    const mode = await stat(full).then(
      (info) => info.mode & 0o7777,
      () => undefined,
    );
    await writeAtomic(full, change.content, mode);
  }
}

/** Puts every owned file back exactly as it was; removes files and directories the task created. */
export async function restore(snap: Snapshot): Promise<void> {
  for (const [rel, state] of snap.files) {
    const full = path.join(snap.root, rel);
    // Verification ran model-written code: the path may now lead out through a symlink, or be a FIFO.
    await repairParents(snap.root, rel);
    const info = await lstat(full).catch(() => null);
    if (info && !info.isFile()) await rm(full, { force: true, recursive: true });
    if (state === null) {
      await rm(full, { force: true });
      continue;
    }
    const current = info?.isFile() ? await readFile(full).catch(() => null) : null;
    const mode = await stat(full).then(
      (info) => info.mode & 0o7777,
      () => -1,
    );
    if (current !== null && current.equals(state.content) && mode === state.mode) continue;
    await writeAtomic(full, state.content, state.mode);
  }
  for (const dir of snap.createdDirs) await rmdir(dir).catch(() => undefined);
}

export async function isGitRepository(root: string): Promise<boolean> {
  return exists(path.join(root, ".git"));
}

/**
 * Commits the owned files only, with the task description as the message; returns the commit's hash.
 * Git refusing (no identity, a held index.lock) is CommitFailed with git's reason and the fix; the files stay as they are.
 */
export async function commitOwned(root: string, owned: string[], message: string): Promise<string> {
  try {
    await git(root, ["add", "--all", "--", ...owned]);
    await git(root, ["commit", "--quiet", "--no-verify", "-m", message, "--", ...owned]);
  } catch (error) {
    if (!(error instanceof GitFailed)) throw error;
    const { reason, fix } = commitFailure(error.stderr, { root, files: owned, exitCode: error.exitCode });
    throw new CommitFailed(reason, fix);
  }
  return (await git(root, ["rev-parse", "HEAD"])).trim();
}

/**
 * Pure: the trailer a daemon task's commit carries, so a later start of the same task can find it: its id and the
 * moment it was submitted, so another queue's task of the same id (another swarm, a Redis that lost its data) never
 * matches.
 */
export const taskTrailer = (daemonTask: string, submittedAt: string) => `Smol-Coder-Task: ${daemonTask} ${submittedAt}`;

/**
 * The commit among the workspace's last `depth` that carries the trailer, or null (not a git repository, or none).
 * A daemon killed between a landing's commit and the queue's record of it left such a commit: the task is done.
 */
export async function committedWith(root: string, trailer: string, depth = 50): Promise<string | null> {
  const log = await git(root, ["log", `-n${depth}`, "--format=%H%x00%B%x01"]).catch(() => "");
  for (const entry of log.split("\x01")) {
    const [hash, body] = entry.trim().split("\x00");
    if (hash && body?.split("\n").some((line) => line.trim() === trailer)) return hash;
  }
  return null;
}
