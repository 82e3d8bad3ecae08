// Files that decide how a workspace is graded (conftest.py, pytest.ini, package.json, tsconfig.json, .env...).
// Verification's writes land in its view's upper layer (sandbox/view.ts) and are thrown away, so they never reach
// the workspace. But the commands of one verification share that layer: model code run by the first command could
// plant a conftest.py that makes the second one pass. So if the layer holds a write to one of these files (added,
// changed or removed) that the task does not own, the verdict cannot be trusted and the attempt fails.
import { lstat, readdir } from "node:fs/promises";
import path from "node:path";

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

/**
 * The grading-config paths the verification wrote, read from its view's upper layer: every name there is a file
 * it created, changed or removed (overlayfs marks a removal with a whiteout of the same name). Owned files left out.
 */
export async function gradingConfigWrites(upper: string, owned: string[]): Promise<string[]> {
  const found: string[] = [];
  let entries = 0;
  async function walk(dir: string): Promise<void> {
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const name of names.sort()) {
      if (++entries > MAX_ENTRIES) return;
      const full = path.join(dir, name);
      const relative = path.relative(upper, full);
      const info = await lstat(full).catch(() => null);
      if (info?.isDirectory()) {
        if (!SKIP_DIRS.has(name)) await walk(full);
      } else if (isGradingConfig(name) && !owned.includes(relative)) found.push(relative);
    }
  }
  await walk(upper);
  return found;
}

/** Pure: the error line fed back to the model. */
export function describeConfigWrites(paths: string[]): string {
  return `verification wrote files that decide how the workspace is graded: ${paths.join(", ")}. Writes outside the files you own are thrown away after each verification; code under test must not change its own grading`;
}
