import { describe, expect, test } from "bun:test";
import { GraderReply, gradeReply, summariseLongrepr } from "./grade.ts";
import recorded from "./__fixtures__/grader/replies.json";

// Replies recorded from real grader.py runs (see the case names); paths are those of the recording.
function fixture(name: keyof typeof recorded) {
  const dir = `/tmp/smol-grader-fixture/${name}`;
  const context = { workspace: `${dir}/workspace`, testFile: `${dir}/grader/test_humaneval.py`, timeoutMs: 1000 };
  return gradeReply(GraderReply.parse(recorded[name]), 1, context);
}

describe("gradeReply on recorded replies", () => {
  test("the canonical solution passes", () => {
    expect(fixture("canonical")).toMatchObject({ passed: true, status: "passed", failures: [] });
  });

  test("a bare prompt shows the assertion and what the function returned, without memory addresses", () => {
    const grade = fixture("bare");
    expect(grade).toMatchObject({ passed: false, status: "failed" });
    expect(grade.failures).toEqual([
      "test_humaneval.py:13: assert candidate([1.0, 2.0, 3.9, 4.0, 5.0, 2.2], 0.3) == True",
      "E assert None == True",
      "E + where None = <function has_close_elements>([1.0, 2.0, 3.9, 4.0, 5.0, 2.2], 0.3)",
    ]);
  });

  test("a wrong list shows both sides", () => {
    expect(fixture("wrongList").failures).toEqual([
      "test_humaneval.py:14: assert candidate(['xxx', 'asd', 'xxy', 'john doe', 'xxxAAA', 'xxx'], 'xxx') == ['xxx', 'xxxAAA', 'xxx']",
      "E AssertionError: assert ['xxx', 'asd', 'xxy', 'john doe', 'xxxAAA', 'xxx'] == ['xxx', 'xxxAAA', 'xxx']",
      "E + where ['xxx', 'asd', 'xxy', 'john doe', 'xxxAAA', 'xxx'] = <function filter_by_prefix>(['xxx', 'asd', 'xxy', 'john doe', 'xxxAAA', 'xxx'], 'xxx')",
    ]);
  });

  test("an exception in the candidate shows the failing input, the candidate's line and the exception", () => {
    expect(fixture("indexError").failures).toEqual([
      "test_humaneval.py:13: assert candidate([1.0, 2.0, 3.9, 4.0, 5.0, 2.2], 0.3) == True",
      "solution.py:12: return numbers[10] > threshold",
      "arguments: numbers = [1.0, 2.0, 3.9, 4.0, 5.0, 2.2], threshold = 0.3",
      "E IndexError: list index out of range",
    ]);
    expect(fixture("helperException").failures).toEqual([
      "test_humaneval.py:13: assert candidate(3.5) == 0.5",
      "solution.py:15: return n / 0",
      "arguments: n = 3.5",
      "E ZeroDivisionError: float division by zero",
    ]);
  });

  test("an exception raised inside the standard library points at the candidate's call", () => {
    expect(fixture("stdlibException").failures).toEqual([
      "test_humaneval.py:13: assert abs(candidate([1.0, 2.0, 3.0]) - 2.0/3.0) < 1e-6",
      "solution.py:14: return statistics.mean([])",
      "E statistics.StatisticsError: mean requires at least one data point",
    ]);
  });

  test("the candidate's own assert, unbounded recursion and a missing function", () => {
    expect(fixture("candidateAssert").failures.slice(1)).toEqual([
      'solution.py:12: assert len(numbers) < 3, "too many numbers"',
      "arguments: numbers = [1.0, 2.0, 3.9, 4.0, 5.0, 2.2], threshold = 0.3",
      "E AssertionError: too many numbers",
    ]);
    expect(fixture("recursion").failures.slice(1)).toEqual([
      "solution.py:12: return has_close_elements(numbers, threshold)",
      "E RecursionError: maximum recursion depth exceeded",
    ]);
    expect(fixture("missingFunction").failures).toEqual([
      "test_humaneval.py:24: check(_solution.has_close_elements)",
      "E AttributeError: module 'solution' has no attribute 'has_close_elements'",
    ]);
  });

  test("code that cannot be imported is an error naming the line", () => {
    expect(fixture("syntaxError")).toMatchObject({
      status: "error",
      failures: ["the tests could not run:", "solution.py:12: return (", "SyntaxError: '(' was never closed"],
    });
    expect(fixture("importTimeError").failures).toEqual([
      "the tests could not run:",
      'solution.py:2: CONFIG = json.loads("{")',
      "json.decoder.JSONDecodeError: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
    ]);
    expect(fixture("memoryAtImport").failures).toEqual([
      "the tests could not run:",
      "solution.py:1: x = bytearray(8 << 30)",
      "MemoryError",
    ]);
    expect(fixture("missingModule").failures).toEqual([
      "the tests could not run:",
      "test_humaneval.py:1: import solution as _solution",
      "ModuleNotFoundError: No module named 'solution'",
    ]);
  });

  test("printing '1 passed' and exiting 0 at import is not a pass", () => {
    const grade = fixture("exitAtImport");
    expect(grade).toMatchObject({ passed: false, status: "error", output: "1 passed\n" });
    expect(grade.failures.at(-1)).toBe("SystemExit: 0");
  });

  test("no report, a crash and a timeout", () => {
    expect(fixture("osExit")).toMatchObject({
      status: "failed",
      failures: ["the test process ended without a report (os._exit or crash?)"],
    });
    expect(fixture("osExit3")).toMatchObject({
      status: "crashed",
      failures: ["the test process exited with code 3 without a report (os._exit?)"],
    });
    expect(fixture("segfault")).toMatchObject({
      status: "crashed",
      failures: ["the test process was killed by SIGSEGV (a segmentation fault in native code)"],
    });
    expect(fixture("hang")).toMatchObject({ passed: false, status: "timeout", failures: ["timed out after 1000 ms"] });
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

  test("without context the innermost frame is shown", () => {
    expect(summariseLongrepr(recorded.stdlibException.tests[0]!.longrepr).at(0)).toStartWith("/root/.pyenv/");
  });
});

// The real server: python3 with pytest, real forks, real signals.
