// The replies come from the real grader (python3, pytest, the jailed candidate) on problems read from the shared
// HumanEval dataset beside the checkout; nothing from the dataset is kept in the repository.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { GraderReply, gradeReply, summariseLongrepr } from "./grade.ts";
import { startGrader, type Grader } from "./grader.ts";
import { createHumanEvalWorkspace } from "../task/humaneval.ts";
import { problem } from "./__fixtures__/grader/problems.ts";
import { testSandbox } from "../../test/helpers.ts";

describe("gradeReply on the real grader's replies", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "smol-grade-test-"));
  let grader: Grader;
  let caseNumber = 0;
  beforeAll(async () => {
    grader = await startGrader({ sandbox: await testSandbox(), concurrency: 2 });
  });
  afterAll(async () => {
    await grader.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Grades `solution` (or no solution.py at all when null) against the problem's own tests. */
  async function grade(taskId: string, solution: string | null) {
    const ws = await createHumanEvalWorkspace(problem(taskId), path.join(dir, String(caseNumber++)));
    const file = path.join(ws.root, "solution.py");
    if (solution === null) rmSync(file, { force: true });
    else writeFileSync(file, solution);
    return grader.grade({ workspace: ws.root, testFile: ws.testFile, expectedTests: 1, timeoutMs: 10_000 });
  }
  const prompt = (taskId: string) => problem(taskId).prompt;
  /** The prompt with `body` (indented lines) as the function's body. */
  const withBody = (taskId: string, body: string) => `${prompt(taskId)}${body}`;
  /** The test file's failing line: its name and line number, then the assertion. */
  const testLine = expect.stringMatching(/^test_humaneval\.py:\d+: assert /);

  test("the canonical solution passes", async () => {
    const canonical = prompt("HumanEval/0") + problem("HumanEval/0").canonicalSolution;
    expect(await grade("HumanEval/0", canonical)).toMatchObject({ passed: true, status: "passed", failures: [] });
  });

  test("a bare prompt shows the assertion and what the function returned, without memory addresses", async () => {
    const bare = await grade("HumanEval/0", prompt("HumanEval/0"));
    expect(bare).toMatchObject({ passed: false, status: "failed" });
    expect(bare.failures).toEqual([
      testLine,
      "E assert None == True",
      expect.stringMatching(/^E \+ where None = <function has_close_elements>\(\[.*\], [\d.]+\)$/),
    ]);
    expect(bare.failures.join("\n")).not.toMatch(/0x[0-9a-f]{6,}/);
  });

  test("a wrong list shows both sides", async () => {
    const wrong = await grade("HumanEval/29", withBody("HumanEval/29", "    return strings\n"));
    expect(wrong.failures).toEqual([
      testLine,
      expect.stringMatching(/^E (AssertionError: )?assert \[.*\] == \[.*\]$/),
      expect.stringMatching(/^E \+ where \[.*\] = <function filter_by_prefix>\(\[.*\], '.*'\)$/),
    ]);
  });

  test("an exception in the candidate shows the failing input's assertion, the exception and the candidate's line", async () => {
    const raised = await grade("HumanEval/0", withBody("HumanEval/0", "    return numbers[10] > threshold\n"));
    expect(raised.failures).toEqual([
      testLine,
      expect.stringMatching(
        /^E IndexError: list index out of range \(at solution\.py:\d+ in has_close_elements: return numbers\[10\] > threshold\)$/,
      ),
    ]);
    const helper = `def _half(n):\n    return n / 0\n\n\n${withBody("HumanEval/2", "    return _half(number)\n")}`;
    expect((await grade("HumanEval/2", helper)).failures).toEqual([
      testLine,
      expect.stringMatching(
        /^E ZeroDivisionError: float division by zero \(at solution\.py:2 in _half: return n \/ 0\)$/,
      ),
    ]);
  });

  test("an exception raised inside the standard library points at the candidate's call", async () => {
    const stdlib = `import statistics\n${withBody("HumanEval/4", "    return statistics.mean([])\n")}`;
    const failures = (await grade("HumanEval/4", stdlib)).failures;
    expect(failures[0]).toMatch(/^test_humaneval\.py:\d+: assert /);
    expect(failures.at(-1)).toMatch(
      /^E .*StatisticsError: mean requires at least one data point \(at solution\.py:\d+ in mean_absolute_deviation: return statistics\.mean\(\[\]\)\)$/,
    );
  });

  test("the candidate's own assert, unbounded recursion and a missing function", async () => {
    const own = await grade(
      "HumanEval/0",
      withBody("HumanEval/0", '    assert len(numbers) < 3, "too many numbers"\n    return False\n'),
    );
    expect(own.failures.at(-1)).toMatch(/^E AssertionError: too many numbers/);
    const recursion = await grade(
      "HumanEval/0",
      withBody("HumanEval/0", "    return has_close_elements(numbers, threshold)\n"),
    );
    expect(recursion.failures.at(-1)).toMatch(/^E RecursionError: maximum recursion depth exceeded/);
    const missing = await grade("HumanEval/0", "def something_else():\n    return 1\n");
    expect(missing).toMatchObject({ passed: false });
    expect(missing.failures.join("\n")).toContain("has_close_elements");
  });

  test("code that cannot be imported is an error naming the line", async () => {
    const syntax = await grade("HumanEval/0", withBody("HumanEval/0", "    return (\n"));
    expect(syntax).toMatchObject({ status: "error" });
    expect(syntax.failures).toEqual([
      "the tests could not run:",
      expect.stringMatching(/^solution\.py:\d+: return \($/),
      "SyntaxError: '(' was never closed",
    ]);
    const atImport = await grade("HumanEval/0", `import json\nCONFIG = json.loads("{")\n${prompt("HumanEval/0")}`);
    expect(atImport.failures).toEqual([
      "the tests could not run:",
      'solution.py:2: CONFIG = json.loads("{")',
      "json.decoder.JSONDecodeError: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
    ]);
    const memory = await grade("HumanEval/0", `x = bytearray(8 << 30)\n${prompt("HumanEval/0")}`);
    expect(memory.failures).toEqual([
      "the tests could not run:",
      "solution.py:1: x = bytearray(8 << 30)",
      "MemoryError",
    ]);
    const noModule = await grade("HumanEval/0", null);
    expect(noModule).toMatchObject({ passed: false, status: "error" });
    expect(noModule.failures.join("\n")).toContain("No module named 'solution'");
  });

  test("printing '1 passed' and exiting 0 at import is not a pass", async () => {
    const exit = await grade("HumanEval/0", `import sys\nprint("1 passed")\nsys.exit(0)\n${prompt("HumanEval/0")}`);
    expect(exit).toMatchObject({ passed: false, status: "error", output: "1 passed\n" });
    expect(exit.failures.at(-1)).toBe("SystemExit: 0");
  });
});

// Replies the current grader gives only when its test process dies: built here, as grader.py would send them.
describe("gradeReply on a test process that ended without its report", () => {
  const ended = (overrides: Partial<GraderReply>) =>
    gradeReply(GraderReply.parse({ id: "1", status: "finished", tests: [], reported: false, ...overrides }), 1, {
      timeoutMs: 1000,
    });

  test("no report, a crash and a timeout", () => {
    expect(ended({ exitCode: 0 })).toMatchObject({
      status: "failed",
      failures: ["the test process ended without a report (os._exit or crash?)"],
    });
    expect(ended({ status: "crashed", exitCode: 3 })).toMatchObject({
      status: "crashed",
      failures: ["the test process exited with code 3 without a report (os._exit?)"],
    });
    expect(ended({ status: "crashed", exitCode: null, signal: 11 })).toMatchObject({
      status: "crashed",
      failures: ["the test process was killed by SIGSEGV (a segmentation fault in native code)"],
    });
    expect(ended({ status: "timeout", signal: 9, durationMs: 1003 })).toMatchObject({
      passed: false,
      status: "timeout",
      failures: ["timed out after 1000 ms"],
    });
  });
});

describe("gradeReply is strict", () => {
  const reply = (overrides: Partial<GraderReply>) =>
    GraderReply.parse({ id: "1", status: "finished", reported: true, ...overrides });
  const passedTest = { name: "test_check", outcome: "passed", longrepr: "" };
  const cases: { name: string; reply: GraderReply; expected: number; failures: string[] }[] = [
    {
      name: "no tests",
      reply: reply({ tests: [] }),
      expected: 1,
      failures: ["expected 1 test, the test file reported 0"],
    },
    {
      name: "more tests than expected",
      reply: reply({ tests: [passedTest, { ...passedTest, name: "test_extra" }] }),
      expected: 1,
      failures: ["expected 1 test, the test file reported 2"],
    },
    {
      name: "fewer tests than expected",
      reply: reply({ tests: [passedTest] }),
      expected: 2,
      failures: ["expected 2 tests, the test file reported 1"],
    },
    {
      name: "a skipped test",
      reply: reply({ tests: [{ ...passedTest, outcome: "skipped" }] }),
      expected: 1,
      failures: ["test_check skipped"],
    },
    {
      name: "finished without a report",
      reply: reply({ reported: false, output: "1 passed" }),
      expected: 1,
      failures: ["the test process ended without a report (os._exit or crash?)"],
    },
  ];
  for (const { name, reply: given, expected, failures } of cases) {
    test(name, () => expect(gradeReply(given, expected)).toMatchObject({ passed: false, failures }));
  }

  test("every expected test passed", () => {
    expect(gradeReply(reply({ tests: [passedTest, { ...passedTest, name: "test_two" }] }), 2)).toMatchObject({
      passed: true,
      status: "passed",
    });
  });

  test("lines are trimmed and their number bounded", () => {
    const longrepr = [
      "> assert f(1) == 2",
      ...Array.from({ length: 30 }, (_, i) => `E   line ${i} ${"x".repeat(500)}`),
      "t.py:1: AssertionError",
    ].join("\n");
    const grade = gradeReply(reply({ tests: [{ name: "test_check", outcome: "failed", longrepr }] }), 1, {
      maxLineChars: 50,
      maxLines: 5,
    });
    expect(grade.failures).toHaveLength(5);
    expect(grade.failures.every((line) => line.length <= 50)).toBe(true);
    expect(grade.failures.at(-1)).toBe("… 27 more lines");
  });

  // pytest's long style for an exception raised in code the test imported in-process, written here as pytest
  // writes it (the grader runs candidates out of process; other pytest runs still produce this shape).
  const inProcess = (root: string) =>
    [
      "def test_gaps():",
      ">       assert average_gap([3, 1]) == 2",
      "",
      `${root}/tests/test_gaps.py:4: `,
      "_ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ ",
      `${root}/work/gaps.py:3: in average_gap`,
      "    return statistics.mean([])",
      "           ^^^^^^^^^^^^^^^^^^^",
      "_ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ ",
      "",
      "data = []",
      "",
      "    def mean(data):",
      "        T, total, n = _sum(data)",
      "        if n < 1:",
      ">           raise StatisticsError('mean requires at least one data point')",
      "E           statistics.StatisticsError: mean requires at least one data point",
      "",
      "/usr/lib/python3.11/statistics.py:432: StatisticsError",
    ].join("\n");

  test("an in-process failure points at the candidate's call; without context the innermost frame is shown", () => {
    const root = "/tmp/some-run";
    expect(
      summariseLongrepr(inProcess(root), { workspace: `${root}/work`, testFile: `${root}/tests/test_gaps.py` }),
    ).toEqual([
      "test_gaps.py:4: assert average_gap([3, 1]) == 2",
      "gaps.py:3: return statistics.mean([])",
      "E statistics.StatisticsError: mean requires at least one data point",
    ]);
    expect(summariseLongrepr(inProcess(root)).at(0)).toStartWith("/usr/lib/python3.11/");
  });
});
