// Which commands verify a workspace: the task's own, or detected from the workspace.
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { TaskInvalid } from "../errors.ts";

export const SCRIPT_ORDER = ["typecheck", "lint", "build", "test"] as const;

export type WorkspaceFacts = {
  /** package.json "scripts", or null when there is no package.json. */
  scripts: Record<string, string> | null;
  /** File and directory names at the workspace root. */
  rootEntries: string[];
  /** Whether any test_*.py / *_test.py file exists (root or tests/). */
  hasPythonTests: boolean;
};

/** Pure: the package manager a workspace uses, from its lockfile. */
export function packageManager(rootEntries: string[]): "bun" | "pnpm" | "yarn" | "npm" {
  if (rootEntries.includes("bun.lock") || rootEntries.includes("bun.lockb")) return "bun";
  if (rootEntries.includes("pnpm-lock.yaml")) return "pnpm";
  if (rootEntries.includes("yarn.lock")) return "yarn";
  return "npm";
}

/** Pure: detected verification commands, or [] when none. */
export function detectCommands(facts: WorkspaceFacts): string[] {
  if (facts.scripts) {
    const manager = packageManager(facts.rootEntries);
    const present = SCRIPT_ORDER.filter((name) => typeof facts.scripts?.[name] === "string");
    // npm's default "test" script only prints an error; it verifies nothing.
    const useful = present.filter((name) => !(name === "test" && /no test specified/.test(facts.scripts![name]!)));
    if (useful.length > 0) return useful.map((name) => `${manager} run ${name}`);
  }
  return facts.hasPythonTests ? ["pytest -q"] : [];
}

const PY_TEST_FILE = /^(test_.*|.*_test)\.py$/;

async function readFacts(root: string): Promise<WorkspaceFacts> {
  const rootEntries = await readdir(root);
  let scripts: Record<string, string> | null = null;
  if (rootEntries.includes("package.json")) {
    try {
      const manifest = JSON.parse(await readFile(path.join(root, "package.json"), "utf8")) as {
        scripts?: Record<string, string>;
      };
      scripts = manifest.scripts ?? {};
    } catch {
      throw new TaskInvalid(
        "package.json",
        "is not valid JSON",
        'fix the workspace\'s package.json or pass "verify" in the task',
      );
    }
  }
  const testDir = rootEntries.includes("tests") ? await readdir(path.join(root, "tests")).catch(() => []) : [];
  const hasPythonTests = [...rootEntries, ...testDir].some((name) => PY_TEST_FILE.test(name));
  return { scripts, rootEntries, hasPythonTests };
}

/** The task's commands when given, otherwise detected ones; none at all is an input error. */
export async function verificationCommands(root: string, given: string[] | undefined): Promise<string[]> {
  if (given) return given;
  const detected = detectCommands(await readFacts(root));
  if (detected.length > 0) return detected;
  throw new TaskInvalid(
    "verify",
    "no verification found (no package.json scripts typecheck/lint/build/test, no Python tests)",
    'add "verify": ["your test command"] to the task, or add a test script to the workspace',
  );
}
