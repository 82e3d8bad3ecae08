// The workspace as one verification sees it: the real files underneath, read-only to the code under test, and a
// private upper layer (overlayfs) that takes every write and is thrown away when the verification ends. The
// commands of one verification share the layer (a build's output reaches the tests), and secret-named files are
// masked unless the task owns them or the config exposes them.
import { chmod, lstat, mkdir, mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { SandboxUnavailable } from "../errors.ts";
import type { ViewDirs } from "./bwrap.ts";
export type WorkspaceView = {
  workspace: string;
  dirs: ViewDirs;
  /** Workspace paths hidden inside the jail: a file becomes empty, a directory an empty tmpfs. */
  masked: { path: string; isDir: boolean }[];
  dispose(): Promise<void>;
};
/**
 * `candidate`: a task's private edit, seen only inside this view: each owned path's new text, or null for a file
 * the edit deletes. The workspace itself stays as it is.
 */
export type ViewRequest = { workspace: string; owned: string[]; expose: string[]; candidate?: Candidate };
export type Candidate = ReadonlyMap<string, string | null>;

/** Not searched for secrets: dependency installs (their test fixtures hold sample keys) and git's own data. */
const UNSEARCHED = new Set([".git", "node_modules", ".venv", "venv", "__pycache__"]);
const FIX_TMPDIR =
  "set TMPDIR to a directory on a local disk whose path has no ',' ':' or '\\', or pass --unsafe-no-sandbox";

/**
 * Pure: does this file name hold a secret by convention? `.env` and `.env.*`, `*.pem`, `*.key`, `.npmrc`,
 * `.pypirc`, and SSH keys (`id_` with no extension, or `.pub`: `id_rsa`, `id_ed25519`; `id_utils.py` is code).
 */
export function isSecretFile(name: string): boolean {
  const base = name.toLowerCase();
  if (base === ".env" || base.startsWith(".env.")) return true;
  if (base.endsWith(".pem") || base.endsWith(".key")) return true;
  if (base === ".npmrc" || base === ".pypirc") return true;
  return /^id_[a-z0-9_-]+(\.pub)?$/.test(base);
}

/** Pure: is this workspace-relative path let through by the task (owned) or the config (`sandbox.expose`)? */
export function isExposed(relative: string, owned: string[], expose: string[]): boolean {
  return (
    owned.includes(relative) || expose.some((pattern) => pattern === relative || new Bun.Glob(pattern).match(relative))
  );
}

/** The secret-named files and directories in the workspace that the jail must not show. */
export async function findSecrets(root: string, owned: string[], expose: string[]): Promise<WorkspaceView["masked"]> {
  const found: WorkspaceView["masked"] = [];
  async function walk(dir: string): Promise<void> {
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const name of names) {
      const full = path.join(dir, name);
      const info = await lstat(full).catch(() => null);
      if (!info || info.isSymbolicLink()) continue; // a link is masked where it points, if that is inside
      const relative = path.relative(root, full);
      if (isSecretFile(name) && !isExposed(relative, owned, expose))
        found.push({ path: full, isDir: info.isDirectory() });
      else if (info.isDirectory() && !UNSEARCHED.has(name)) await walk(full);
    }
  }
  await walk(root);
  return found;
}

/** Pure: overlayfs takes its layers as a comma-separated option string, so these characters cannot be in a path. */
export function badOverlayPath(dir: string): boolean {
  return /[,:\\]/.test(dir);
}

/** Makes the layer directories for one verification; nothing is mounted until a command runs. */
export async function openView(request: ViewRequest): Promise<WorkspaceView> {
  const base = await mkdtemp(path.join(tmpdir(), "smol-view-"));
  const dispose = () => removeTree(base);
  if (badOverlayPath(base)) {
    await dispose();
    throw new SandboxUnavailable(`the temporary directory ${base} cannot hold an overlay`, FIX_TMPDIR);
  }
  const dirs = {
    lower: path.join(base, "lower"),
    upper: path.join(base, "upper"),
    work: path.join(base, "work"),
    empty: path.join(base, "empty"),
    deleted: path.join(base, "deleted"),
  };
  await Promise.all([dirs.lower, dirs.upper, dirs.work].map((dir) => mkdir(dir)));
  await writeFile(dirs.empty, "", { mode: 0o444 });
  await writeFile(dirs.deleted, await placeCandidate(request, dirs.upper));
  return {
    workspace: request.workspace,
    dirs,
    masked: await findSecrets(request.workspace, request.owned, request.expose),
    dispose,
  };
}

/**
 * Puts the candidate's files into the upper layer before anything is mounted (a file there hides the workspace's),
 * with the workspace file's mode where there is one; returns the deleted paths, one per line, for the launcher.
 */
async function placeCandidate(request: ViewRequest, upper: string): Promise<string> {
  const deleted: string[] = [];
  for (const [rel, content] of request.candidate ?? []) {
    if (/[\n\r]/.test(rel))
      throw new SandboxUnavailable(`the owned path ${JSON.stringify(rel)} holds a line break`, "rename the file");
    if (content === null) {
      deleted.push(rel);
      continue;
    }
    const target = path.join(upper, rel);
    const mode = await stat(path.join(request.workspace, rel)).then(
      (info) => info.mode & 0o777,
      () => 0o644,
    );
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, content, { mode });
  }
  return deleted.map((rel) => `${rel}\n`).join("");
}

/** overlayfs leaves `work/work` without permissions (mode 000); give it back to the owner, then remove it all. */
async function removeTree(base: string): Promise<void> {
  await chmod(path.join(base, "work", "work"), 0o700).catch(() => undefined);
  await rm(base, { recursive: true, force: true });
}
