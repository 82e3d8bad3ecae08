import { describe, expect, test } from "bun:test";
import { exerciseInstructions, fileList, TEST_OUTPUT_LINES, testFailureMessage } from "./protocol.ts";
import { benchTsconfig, exerciseCommands, unskipTests } from "./checks.ts";

describe("the field's protocol (Aider's benchmark)", () => {
  test("instructions: the docs in order, then the paragraph naming the files", () => {
    const text = exerciseInstructions(
      ["# Introduction\nHi.\n", "# Instructions\nDo it.\n"],
      fileList({ solution: ["lib/two_fer.py"] }),
    );
    expect(text).toBe(
      "# Introduction\nHi.\n\n# Instructions\nDo it.\n\n####\n\nUse the above instructions to modify the supplied files: two_fer.py\n" +
        "Don't change the names of existing functions or classes, as they may be referenced from other code like unit tests, etc.\n" +
        "Only use standard libraries, don't suggest installing any packages.",
    );
  });

  test("a failed try is shown the first 50 lines of the test output, then told the tests are correct", () => {
    const output = Array.from({ length: 80 }, (_, i) => `line ${i + 1}`).join("\n");
    const message = testFailureMessage(output, "a.py b.py");
    expect(message).toContain(`line ${TEST_OUTPUT_LINES}\n`);
    expect(message).not.toContain(`line ${TEST_OUTPUT_LINES + 1}`);
    expect(
      message.endsWith(
        "See the testing errors above.\nThe tests are correct, don't try and change them.\nFix the code in a.py b.py to resolve the errors.",
      ),
    ).toBe(true);
  });
});

describe("checks", () => {
  test("python: pytest on the test files; typescript: the typecheck of the solution, then jest on the tests", () => {
    expect(
      exerciseCommands("python", { solution: ["two_fer.py"], test: ["two_fer_test.py"] }, "/venv/bin/python"),
    ).toEqual(["/venv/bin/python -m pytest -q -p no:cacheprovider two_fer_test.py"]);
    const ts = exerciseCommands("typescript", { solution: ["two-fer.ts"], test: ["two-fer.test.ts"] });
    expect(ts).toHaveLength(2);
    expect(ts[0]).toContain("tsc --noEmit -p tsconfig.bench.json");
    expect(ts[1]).toContain("jest.js --no-cache --ci two-fer.test.ts");
  });

  test("a name with a quote is quoted for the shell", () => {
    expect(exerciseCommands("python", { solution: ["a.py"], test: ["it's_test.py"] })[0]).toEndWith(
      "'it'\\''s_test.py'",
    );
  });

  test("every skipped test runs, and nothing else changes", () => {
    const before =
      "import { describe, expect, it, xit } from '@jest/globals'\nxit('b', () => {})\n  xtest ('c', f)\nxdescribe.each([1])('d', f)\nconst maxit = (x) => x\nmaxit(1)\n";
    expect(unskipTests(before)).toBe(
      "import { describe, expect, it, xit } from '@jest/globals'\nit('b', () => {})\n  test ('c', f)\ndescribe.each([1])('d', f)\nconst maxit = (x) => x\nmaxit(1)\n",
    );
  });

  test("the typecheck takes the solution files with the exercise's own options", () => {
    expect(JSON.parse(benchTsconfig(["a.ts"]))).toEqual({
      extends: "./tsconfig.json",
      include: ["a.ts"],
      exclude: ["node_modules"],
    });
  });
});
