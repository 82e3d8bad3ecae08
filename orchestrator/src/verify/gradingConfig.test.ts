import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describeConfigWrites, isGradingConfig } from "./gradingConfig.ts";
import { runCheck } from "./check.ts";
import { buildConfig } from "../config/config.ts";
import { testSandbox } from "../../test/helpers.ts";

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

describe("writes to grading config in a verification's view", () => {
  const root = mkdtempSync(path.join(tmpdir(), "smol-grading-config-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const deps = async () => ({
    verify: buildConfig([{}]).verify,
    humaneval: buildConfig([{}]).humaneval,
    sandbox: await testSandbox(),
  });
  const tamper =
    "mkdir -p tests && echo 'def pytest_runtest_call(item): pass' > tests/conftest.py; echo '{}' > package.json; rm pytest.ini; echo 'x = 2' > calc.py";

  test("an added conftest.py, a changed package.json and a removed pytest.ini fail the attempt, whatever the commands said; the workspace never sees them", async () => {
    writeFileSync(path.join(root, "package.json"), '{"scripts":{"test":"bun test"}}');
    writeFileSync(path.join(root, "pytest.ini"), "[pytest]\n");
    writeFileSync(path.join(root, "calc.py"), "x = 1\n");
    const result = await runCheck({ kind: "commands", commands: [tamper, "true"] }, root, await deps(), ["calc.py"]);
    expect(result.passed).toBe(false);
    expect(result.decidedBy).toBe("grading-config check");
    expect(result.errors).toEqual([
      describeConfigWrites(["package.json", "pytest.ini", path.join("tests", "conftest.py")]),
    ]);
    expect(readFileSync(path.join(root, "package.json"), "utf8")).toBe('{"scripts":{"test":"bun test"}}');
    expect(readFileSync(path.join(root, "pytest.ini"), "utf8")).toBe("[pytest]\n");
    expect(readFileSync(path.join(root, "calc.py"), "utf8")).toBe("x = 1\n");
    expect(existsSync(path.join(root, "tests"))).toBe(false);
  });

  test("owned config files may change, and other writes (build output) are no tampering", async () => {
    const result = await runCheck(
      {
        kind: "commands",
        commands: ["echo '{}' > package.json; mkdir -p dist && echo built > dist/out.js", "test -f dist/out.js"],
      },
      root,
      await deps(),
      ["package.json"],
    );
    expect(result).toMatchObject({ passed: true, errors: [] });
  });
});
