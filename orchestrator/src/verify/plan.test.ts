import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { TaskInvalid } from "../errors.ts";
import { detectCommands, packageManager, verificationCommands } from "./plan.ts";

const NPM_DEFAULT_TEST = 'echo "Error: no test specified" && exit 1';

describe("packageManager", () => {
  test.each([
    [["package.json", "bun.lock"], "bun"],
    [["package.json", "bun.lockb"], "bun"],
    [["package.json", "pnpm-lock.yaml"], "pnpm"],
    [["package.json", "yarn.lock"], "yarn"],
    [["package.json", "package-lock.json"], "npm"],
    [["package.json"], "npm"],
    [[], "npm"],
  ] as [string[], ReturnType<typeof packageManager>][])("%p → %s", (entries, manager) => {
    expect(packageManager(entries)).toBe(manager);
  });
});

describe("detectCommands", () => {
  const facts = (
    scripts: Record<string, string> | null,
    rootEntries: string[] = ["package.json"],
    hasPythonTests = false,
  ) => ({ scripts, rootEntries, hasPythonTests });

  test("scripts run in the order typecheck, lint, build, test", () => {
    const scripts = {
      test: "vitest run",
      build: "tsc -b",
      start: "node .",
      lint: "eslint .",
      typecheck: "tsc --noEmit",
      dev: "vite",
    };
    expect(detectCommands(facts(scripts))).toEqual([
      "npm run typecheck",
      "npm run lint",
      "npm run build",
      "npm run test",
    ]);
  });

  test("uses the workspace's package manager", () => {
    expect(detectCommands(facts({ test: "bun test" }, ["package.json", "bun.lock"]))).toEqual(["bun run test"]);
    expect(detectCommands(facts({ lint: "eslint ." }, ["package.json", "pnpm-lock.yaml"]))).toEqual(["pnpm run lint"]);
    expect(detectCommands(facts({ build: "tsc" }, ["package.json", "yarn.lock"]))).toEqual(["yarn run build"]);
  });

  test("npm's default test script is ignored", () => {
    expect(detectCommands(facts({ test: NPM_DEFAULT_TEST, lint: "eslint ." }))).toEqual(["npm run lint"]);
    expect(detectCommands(facts({ test: NPM_DEFAULT_TEST }))).toEqual([]);
  });

  test("other scripts only → nothing", () => {
    expect(detectCommands(facts({ start: "node .", dev: "vite" }))).toEqual([]);
  });

  test("Python tests → pytest -q", () => {
    expect(detectCommands(facts(null, ["test_add.py"], true))).toEqual(["pytest -q"]);
  });

  test("useless package.json scripts fall back to Python tests", () => {
    expect(detectCommands(facts({ test: NPM_DEFAULT_TEST }, ["package.json", "tests"], true))).toEqual(["pytest -q"]);
  });

  test("package scripts win over Python tests", () => {
    expect(detectCommands(facts({ test: "jest" }, ["package.json"], true))).toEqual(["npm run test"]);
  });

  test("nothing → []", () => {
    expect(detectCommands(facts(null, ["main.go"], false))).toEqual([]);
    expect(detectCommands(facts({}, ["package.json"], false))).toEqual([]);
  });
});

describe("verificationCommands", () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), "smol-plan-"));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const write = (rel: string, content: string) => {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), content);
  };

  async function refused(given?: string[]): Promise<TaskInvalid> {
    try {
      await verificationCommands(root, given);
    } catch (error) {
      expect(error).toBeInstanceOf(TaskInvalid);
      return error as TaskInvalid;
    }
    throw new Error("expected TaskInvalid");
  }

  test("given commands win over detected ones", async () => {
    write("package.json", JSON.stringify({ scripts: { test: "jest" } }));
    expect(await verificationCommands(root, ["make check"])).toEqual(["make check"]);
  });

  test("given commands are used even in an empty workspace", async () => {
    expect(await verificationCommands(root, ["true"])).toEqual(["true"]);
  });

  test("detects package.json scripts with the lockfile's manager", async () => {
    write("package.json", JSON.stringify({ scripts: { test: "bun test", typecheck: "tsc --noEmit" } }));
    write("bun.lock", "{}");
    expect(await verificationCommands(root, undefined)).toEqual(["bun run typecheck", "bun run test"]);
  });

  test("detects Python tests at the root", async () => {
    write("test_calc.py", "def test_x():\n    assert True\n");
    expect(await verificationCommands(root, undefined)).toEqual(["pytest -q"]);
  });

  test("detects Python tests under tests/", async () => {
    write("tests/calc_test.py", "def test_x():\n    assert True\n");
    expect(await verificationCommands(root, undefined)).toEqual(["pytest -q"]);
  });

  test("a Python file that is not a test does not count", async () => {
    write("calc.py", "x = 1\n");
    write("tests/helpers.py", "y = 2\n");
    expect((await refused()).field).toBe("verify");
  });

  test("nothing found → TaskInvalid on verify", async () => {
    write("README.md", "# nothing to run\n");
    const error = await refused();
    expect(error.field).toBe("verify");
    expect(error.fix).toContain('"verify"');
  });

  test("only npm's default test script → TaskInvalid on verify", async () => {
    write("package.json", JSON.stringify({ name: "x", scripts: { test: NPM_DEFAULT_TEST } }));
    expect((await refused()).field).toBe("verify");
  });

  test("broken package.json → TaskInvalid naming package.json", async () => {
    write("package.json", "{ not json");
    expect((await refused()).field).toBe("package.json");
  });
});
