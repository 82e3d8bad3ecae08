import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startGrader, type Grader } from "../verify/grader.ts";
import { testSandbox } from "../../test/helpers.ts";
import {
  createHumanEvalWorkspace,
  HUMANEVAL_EXPECTED_TESTS,
  problemDirName,
  testFileText,
  type HumanEvalProblem,
} from "./humaneval.ts";
import { loadProblems, problem } from "../verify/__fixtures__/grader/problems.ts";

const sample: HumanEvalProblem = {
  taskId: "HumanEval/999",
  prompt: 'def add(a, b):\n    """Add two numbers."""\n',
  entryPoint: "add",
  canonicalSolution: "    return a + b\n",
  test: "\n\nMETADATA = {}\n\n\ndef check(candidate):\n    assert candidate(1, 2) == 3\n\n",
};

function git(cwd: string, ...args: string[]): string {
  const result = Bun.spawnSync(["git", ...args], { cwd });
  return result.stdout.toString().trim();
}

describe("testFileText", () => {
  test("imports the solution, exposes its public names, keeps the test verbatim and calls check on the entry point", () => {
    expect(testFileText(sample)).toBe(
      [
        "import solution as _solution",
        'globals().update({k: v for k, v in vars(_solution).items() if not k.startswith(("__", "test", "Test"))})',
        "",
        "\n\nMETADATA = {}\n\n\ndef check(candidate):\n    assert candidate(1, 2) == 3",
        "",
        "",
        "def test_check():",
        "    check(_solution.add)",
        "",
      ].join("\n"),
    );
  });

  test("task ids become directory names", () => {
    expect(problemDirName("HumanEval/0")).toBe("HumanEval_0");
    expect(problemDirName("../x y")).toBe(".._x_y");
  });
});

describe("createHumanEvalWorkspace", () => {
  const parent = mkdtempSync(path.join(tmpdir(), "smol-humaneval-"));
  afterAll(() => rmSync(parent, { recursive: true, force: true }));

  test("a fresh git repository whose one commit is solution.py = the prompt, the test file outside it", async () => {
    const { root, testFile } = await createHumanEvalWorkspace(sample, parent);
    expect(root).toBe(path.join(parent, "HumanEval_999", "workspace"));
    expect(testFile).toBe(path.join(parent, "HumanEval_999", "grader", "test_humaneval.py"));
    expect(readFileSync(path.join(root, "solution.py"), "utf8")).toBe(sample.prompt);
    expect(readFileSync(testFile, "utf8")).toBe(testFileText(sample));
    expect(path.relative(root, testFile).startsWith("..")).toBe(true);
    expect(readdirSync(root).sort()).toEqual([".git", "solution.py"]);
    expect(git(root, "rev-list", "--count", "HEAD")).toBe("1");
    expect(git(root, "branch", "--show-current")).toBe("main");
    expect(git(root, "status", "--porcelain")).toBe("");
    expect(git(root, "show", "HEAD:solution.py")).toBe(sample.prompt.trimEnd());
    expect(git(root, "config", "--local", "core.hooksPath")).toBe("/dev/null");
    expect(git(root, "config", "--local", "user.email")).not.toBe("");
  });

  test("refuses a problem directory that already has content", async () => {
    await expect(createHumanEvalWorkspace(sample, parent)).rejects.toMatchObject({
      name: "TaskInvalid",
      field: "workspace",
    });
  });

  test("accepts an existing empty problem directory", async () => {
    const other = path.join(parent, "empty-parent");
    mkdirSync(path.join(other, "HumanEval_999"), { recursive: true });
    const { root } = await createHumanEvalWorkspace(sample, other);
    expect(git(root, "rev-list", "--count", "HEAD")).toBe("1");
  });
});

describe("HumanEval through the grader", () => {
  const parent = mkdtempSync(path.join(tmpdir(), "smol-humaneval-grade-"));
  let grader: Grader;
  beforeAll(async () => {
    grader = await startGrader({ sandbox: await testSandbox(), concurrency: 2 });
  });
  afterAll(async () => {
    await grader.close();
    rmSync(parent, { recursive: true, force: true });
  });

  async function gradeWith(taskId: string, body: string | null, dir: string) {
    const item = problem(taskId);
    const ws = await createHumanEvalWorkspace(item, path.join(parent, dir));
    if (body !== null) writeFileSync(path.join(ws.root, "solution.py"), item.prompt + body);
    return grader.grade({
      workspace: ws.root,
      testFile: ws.testFile,
      expectedTests: HUMANEVAL_EXPECTED_TESTS,
      timeoutMs: 5000,
    });
  }

  test("every bare prompt fails, and every canonical solution passes", async () => {
    const problems = loadProblems();
    expect(problems).toHaveLength(164);
    const workspaces = await Promise.all(
      problems.map((item) => createHumanEvalWorkspace(item, path.join(parent, "all"))),
    );
    const gradeAll = () =>
      Promise.all(
        workspaces.map((ws) =>
          grader.grade({
            workspace: ws.root,
            testFile: ws.testFile,
            expectedTests: HUMANEVAL_EXPECTED_TESTS,
            timeoutMs: 5000,
          }),
        ),
      );
    const bare = await gradeAll();
    problems.forEach((item, index) =>
      writeFileSync(path.join(workspaces[index]!.root, "solution.py"), item.prompt + item.canonicalSolution),
    );
    const canonical = await gradeAll();
    expect(problems.filter((_, index) => bare[index]!.passed).map((item) => item.taskId)).toEqual([]);
    expect(bare.every((grade) => grade.failures.length > 0)).toBe(true);
    expect(problems.filter((_, index) => !canonical[index]!.passed).map((item) => item.taskId)).toEqual([]);
  }, 30_000);

  test("tests that call helpers from the prompt (poly, encode_cyclic, encode_shift) see them", async () => {
    for (const taskId of ["HumanEval/32", "HumanEval/38", "HumanEval/50"]) {
      expect(await gradeWith(taskId, problem(taskId).canonicalSolution, "helpers")).toMatchObject({ passed: true });
    }
  });

  test("a helper named like a test does not add a test", async () => {
    const body = `${problem("HumanEval/0").canonicalSolution}\n\ndef test_helper():\n    return 1\n`;
    expect(await gradeWith("HumanEval/0", body, "test-named-helper")).toMatchObject({ passed: true });
  });
});
