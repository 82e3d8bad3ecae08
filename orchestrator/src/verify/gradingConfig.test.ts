import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { configChanges, describeConfigChanges, isGradingConfig, restoreConfig, snapshotConfig } from "./gradingConfig.ts";

describe("isGradingConfig", () => {
  test.each([
    ["conftest.py", true],
    ["tests/conftest.py", true],
    ["pytest.ini", true],
    ["pyproject.toml", true],
    ["sitecustomize.py", true],
    ["lib/evil.pth", true],
    ["package.json", true],
    ["tsconfig.json", true],
    ["tsconfig.build.json", true],
    ["vitest.config.ts", true],
    [".eslintrc.json", true],
    [".env", true],
    [".env.local", true],
    ["Makefile", true],
    ["src/calc.py", false],
    ["src/index.ts", false],
    ["README.md", false],
    ["package-lock.json", false],
    ["test_calc.py", false],
  ])("%s → %p", (file, expected) => {
    expect(isGradingConfig(file)).toBe(expected);
  });
});

describe("snapshot, compare, restore", () => {
  const root = mkdtempSync(path.join(tmpdir(), "smol-grading-config-"));
  const outside = mkdtempSync(path.join(tmpdir(), "smol-grading-outside-"));
  afterAll(() => [root, outside].forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  test("an added conftest.py, a changed package.json and a removed pytest.ini are found and put back", async () => {
    mkdirSync(path.join(root, "tests"), { recursive: true });
    writeFileSync(path.join(root, "package.json"), '{"scripts":{"test":"bun test"}}');
    writeFileSync(path.join(root, "pytest.ini"), "[pytest]\n");
    writeFileSync(path.join(root, "calc.py"), "x = 1\n");
    const before = await snapshotConfig(root);
    writeFileSync(path.join(root, "tests", "conftest.py"), "def pytest_runtest_call(item): pass\n");
    writeFileSync(path.join(root, "package.json"), '{"scripts":{"test":"exit 0"}}');
    rmSync(path.join(root, "pytest.ini"));
    writeFileSync(path.join(root, "calc.py"), "x = 2\n"); // not config: not reported
    const changes = configChanges(before, await snapshotConfig(root), []);
    expect(changes).toEqual([
      { path: "package.json", change: "changed" },
      { path: "pytest.ini", change: "removed" },
      { path: path.join("tests", "conftest.py"), change: "added" },
    ]);
    expect(describeConfigChanges(changes)).toContain("package.json (changed), pytest.ini (removed), tests/conftest.py (added)");
    await restoreConfig(root, before, changes);
    expect(readFileSync(path.join(root, "package.json"), "utf8")).toBe('{"scripts":{"test":"bun test"}}');
    expect(readFileSync(path.join(root, "pytest.ini"), "utf8")).toBe("[pytest]\n");
    expect(existsSync(path.join(root, "tests", "conftest.py"))).toBe(false);
    expect(configChanges(before, await snapshotConfig(root), [])).toEqual([]);
  });

  test("owned files may change", async () => {
    const before = await snapshotConfig(root);
    writeFileSync(path.join(root, "package.json"), '{"name":"edited by the task"}');
    expect(configChanges(before, await snapshotConfig(root), ["package.json"])).toEqual([]);
  });

  test("a restore never follows a symlinked directory out of the workspace", async () => {
    const before = await snapshotConfig(root);
    mkdirSync(path.join(root, "sub"));
    writeFileSync(path.join(root, "sub", "conftest.py"), "");
    const changes = configChanges(before, await snapshotConfig(root), []);
    rmSync(path.join(root, "sub"), { recursive: true });
    writeFileSync(path.join(outside, "conftest.py"), "host file");
    symlinkSync(outside, path.join(root, "sub"));
    await restoreConfig(root, before, changes);
    expect(readFileSync(path.join(outside, "conftest.py"), "utf8")).toBe("host file");
  });
});
