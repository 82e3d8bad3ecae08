// Files that decide how a workspace is graded (conftest.py, pytest.ini, package.json, tsconfig.json, .env...).
// Model-written code runs during verification with the workspace writable; if it adds or changes one of these,
// the verdict cannot be trusted: the attempt fails and the files are put back as they were.
import { createHash } from "node:crypto";
import { lstat, mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { realParents } from "../task/workspace.ts";

const EXACT = new Set([
  "conftest.py",
  "pytest.ini",
  "pyproject.toml",
  "setup.cfg",
  "tox.ini",
  "noxfile.py",
  "sitecustomize.py",
  "usercustomize.py",
  "package.json",
  "bunfig.toml",
  ".npmrc",
  ".yarnrc",
  ".yarnrc.yml",
  ".pnpmfile.cjs",
  "jsconfig.json",
  ".babelrc",
  "makefile",
  "gnumakefile",
  "cargo.toml",
  "go.mod",
]);
const PATTERNS = [
  /^tsconfig(\..*)?\.json$/,
  /^(jest|vitest|vite|babel|eslint|mocha|playwright|ava|karma)\.config\.[cm]?[jt]s(on)?$/,
  /^\.(eslintrc|mocharc|swcrc)(\..*)?$/,
  /\.pth$/,
  /^\.env(\..*)?$/,
];
/** Not walked: large, or read-only in the sandbox anyway. */
const SKIP_DIRS = new Set([".git", "node_modules", ".venv", "venv", "__pycache__"]);
const MAX_ENTRIES = 50_000;

/** Pure: does this workspace-relative path decide how tests, builds or type checks behave? */
export function isGradingConfig(relativePath: string): boolean {
  const base = path.basename(relativePath).toLowerCase();
  return EXACT.has(base) || PATTERNS.some((pattern) => pattern.test(base));
}

export type ConfigSnapshot = Map<string, { hash: string; content: Buffer }>;
export type ConfigChange = { path: string; change: "added" | "changed" | "removed" };

/** The grading-config files in the workspace, with their contents (they are small). */
export async function snapshotConfig(root: string): Promise<ConfigSnapshot> {
  const found: ConfigSnapshot = new Map();
  let entries = 0;
  async function walk(dir: string): Promise<void> {
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const name of names) {
      if (++entries > MAX_ENTRIES) return;
      const full = path.join(dir, name);
      const info = await lstat(full).catch(() => null);
      if (!info) continue;
      if (info.isDirectory()) {
        if (!SKIP_DIRS.has(name)) await walk(full);
      } else if (isGradingConfig(name)) {
        const content = info.isFile() ? await readFile(full).catch(() => Buffer.alloc(0)) : Buffer.from(`symlink`);
        found.set(path.relative(root, full), { hash: createHash("sha256").update(content).digest("hex"), content });
      }
    }
  }
  await walk(root);
  return found;
}

/** Pure: what changed between two snapshots, leaving out the files the task owns (the model may edit those). */
export function configChanges(before: ConfigSnapshot, after: ConfigSnapshot, owned: string[]): ConfigChange[] {
  const ownedSet = new Set(owned);
  const changes: ConfigChange[] = [];
  for (const [file, entry] of after) {
    if (ownedSet.has(file)) continue;
    const previous = before.get(file);
    if (!previous) changes.push({ path: file, change: "added" });
    else if (previous.hash !== entry.hash) changes.push({ path: file, change: "changed" });
  }
  for (const file of before.keys()) if (!after.has(file) && !ownedSet.has(file)) changes.push({ path: file, change: "removed" });
  return changes.sort((a, b) => a.path.localeCompare(b.path));
}

/** Puts each changed file back as it was before verification. Paths through symlinks are left alone. */
export async function restoreConfig(root: string, before: ConfigSnapshot, changes: ConfigChange[]): Promise<void> {
  for (const { path: file, change } of changes) {
    if (!(await realParents(root, file))) continue;
    const full = path.join(root, file);
    await rm(full, { force: true, recursive: true });
    const original = before.get(file);
    if (change !== "added" && original) {
      await mkdir(path.dirname(full), { recursive: true });
      await writeFile(full, original.content);
    }
  }
}

/** Pure: the error line fed back to the model. */
export function describeConfigChanges(changes: ConfigChange[]): string {
  const list = changes.map((c) => `${c.path} (${c.change})`).join(", ");
  return `verification changed files that decide how the workspace is graded: ${list}. They were put back; code under test must not change its own grading`;
}
