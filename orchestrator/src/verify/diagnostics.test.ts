import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { summariseFailure, type FailedCommand } from "./diagnostics.ts";

const LIMITS = { maxErrors: 10, maxErrorChars: 400 };
const failed = (output: string, extra: Partial<FailedCommand> = {}): FailedCommand => ({
  command: "npm test",
  exitCode: 1,
  timedOut: false,
  output,
  ...extra,
});
const errorsOf = (output: string, limits = LIMITS) => summariseFailure(failed(output), limits).slice(1);

// Captured from tsc (TypeScript 7) and pytest 9 / Python 3.11 runs.
const TSC_PLAIN = `bad.ts(4,7): error TS2322: Type 'number' is not assignable to type 'string'.
bad.ts(5,5): error TS2345: Argument of type 'string' is not assignable to parameter of type 'number'.
`;
const E = "\x1b";
const TSC_PRETTY = `${E}[96mbad.ts${E}[0m:${E}[93m4${E}[0m:${E}[93m7${E}[0m - ${E}[91merror${E}[0m${E}[90m TS2322: ${E}[0mType 'number' is not assignable to type 'string'.

${E}[7m4${E}[0m const x: string = add(1, 2);
${E}[7m ${E}[0m ${E}[91m      ~${E}[0m


Found 1 error in bad.ts${E}[90m:4${E}[0m
`;
const PYTEST_ASSERT = `F.                                                                       [100%]
=================================== FAILURES ===================================
___________________________________ test_add ___________________________________

    def test_add():
>       assert add(2, 3) == 5
E       assert -1 == 5
E        +  where -1 = add(2, 3)

test_calc.py:6: AssertionError
=========================== short test summary info ============================
FAILED test_calc.py::test_add - assert -1 == 5
1 failed, 1 passed in 0.02s
`;
const PYTEST_SYNTAX = `
==================================== ERRORS ====================================
_______________________ ERROR collecting test_syntax.py ________________________
/usr/lib/python3.11/site-packages/_pytest/python.py:528: in importtestmodule
    mod = import_path(
/usr/lib/python3.11/ast.py:50: in parse
    return compile(source, filename, mode, flags,
E     File "/work/app/test_syntax.py", line 1
E       def test_x(:
E                  ^
E   SyntaxError: invalid syntax
=========================== short test summary info ============================
ERROR test_syntax.py
!!!!!!!!!!!!!!!!!!!! Interrupted: 1 error during collection !!!!!!!!!!!!!!!!!!!!
1 error in 0.20s
`;
const ESLINT = `
/home/dev/proj/src/app.ts
   3:7   error    'unused' is assigned a value but never used  @typescript-eslint/no-unused-vars
  10:1   warning  Unexpected console statement                 no-console
  12:15  error    Missing semicolon                            semi

/home/dev/proj/src/util.js
  1:1  error  Parsing error: Unexpected token }

✖ 4 problems (3 errors, 1 warning)
  1 error and 0 warnings potentially fixable with the \`--fix\` option.
`;
const TRACEBACK = `Traceback (most recent call last):
  File "/work/app/tb2.py", line 4, in <module>
    print(parse("12x"))
          ^^^^^^^^^^^^
  File "/work/app/tb2.py", line 2, in parse
    return int(v)
           ^^^^^^
ValueError: invalid literal for int() with base 10: '12x'
`;
const DOTTED_TRACEBACK = `Traceback (most recent call last):
  File "/work/app/tb.py", line 6, in <module>
    load("{bad")
  File "/usr/lib/python3.11/json/decoder.py", line 353, in raw_decode
    obj, end = self.scan_once(s, idx)
               ^^^^^^^^^^^^^^^^^^^^^^
json.decoder.JSONDecodeError: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)
`;

describe("summariseFailure: headline", () => {
  test("exit code", () => {
    expect(summariseFailure(failed("boom", { exitCode: 2 }), LIMITS)[0]).toBe("`npm test` failed with exit code 2");
  });
  test("timeout", () => {
    expect(summariseFailure(failed("", { exitCode: null, timedOut: true }), LIMITS)[0]).toBe(
      "`npm test` timed out and was killed",
    );
  });
});

describe("summariseFailure: tools", () => {
  test("tsc file(line,col) format", () => {
    expect(errorsOf(TSC_PLAIN)).toEqual([
      "bad.ts:4:7 error TS2322: Type 'number' is not assignable to type 'string'.",
      "bad.ts:5:5 error TS2345: Argument of type 'string' is not assignable to parameter of type 'number'.",
    ]);
  });

  test("tsc pretty format with ANSI colours", () => {
    const errors = errorsOf(TSC_PRETTY);
    expect(errors).toEqual(["bad.ts:4:7 error TS2322: Type 'number' is not assignable to type 'string'."]);
    expect(errors.join("")).not.toContain("\x1b");
  });

  describe("live tsc", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "smol-diag-"));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    test("real tsc output is summarised with file:line:col", () => {
      writeFileSync(
        path.join(dir, "bad.ts"),
        "export const n: number = 'one';\nexport function f(x: string) { return x.nope; }\n",
      );
      writeFileSync(
        path.join(dir, "tsconfig.json"),
        JSON.stringify({ compilerOptions: { strict: true, noEmit: true }, files: ["bad.ts"] }),
      );
      const tsc = path.join(import.meta.dir, "..", "..", "node_modules", ".bin", "tsc");
      const run = Bun.spawnSync([tsc, "-p", dir], { cwd: dir, stdout: "pipe", stderr: "pipe" });
      expect(run.exitCode).not.toBe(0);
      const errors = errorsOf(run.stdout.toString() + run.stderr.toString());
      expect(errors).toHaveLength(2);
      expect(errors[0]).toMatch(/bad\.ts:1:14 error TS2322: /);
      expect(errors[1]).toMatch(/bad\.ts:2:\d+ error TS2339: .*nope/);
    });
  });

  test("pytest assertion: E lines joined and located", () => {
    expect(errorsOf(PYTEST_ASSERT)).toEqual(["test_calc.py:6: assert -1 == 5 | + where -1 = add(2, 3)"]);
  });

  test("pytest collection SyntaxError keeps file, line and message", () => {
    const errors = errorsOf(PYTEST_SYNTAX);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('File "/work/app/test_syntax.py", line 1');
    expect(errors[0]).toContain("SyntaxError: invalid syntax");
  });

  test("eslint stylish: errors with file, position and rule; warnings skipped", () => {
    expect(errorsOf(ESLINT)).toEqual([
      "/home/dev/proj/src/app.ts:3:7 'unused' is assigned a value but never used (@typescript-eslint/no-unused-vars)",
      "/home/dev/proj/src/app.ts:12:15 Missing semicolon (semi)",
      "/home/dev/proj/src/util.js:1:1 Parsing error: Unexpected token }",
    ]);
  });

  test("python traceback: last frame and exception", () => {
    expect(errorsOf(TRACEBACK)).toEqual([
      "/work/app/tb2.py:2: ValueError: invalid literal for int() with base 10: '12x'",
    ]);
  });

  // Python prints module-qualified names for exceptions outside builtins/__main__; the location should survive.
  test("python traceback with a dotted exception name keeps the location", () => {
    expect(errorsOf(DOTTED_TRACEBACK)).toEqual([
      "/usr/lib/python3.11/json/decoder.py:353: json.decoder.JSONDecodeError: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
    ]);
  });

  test("generic output: lines that mention errors", () => {
    const output = "building...\ncompiled 12 files\nmake: *** [Makefile:3: build] Error 2\nall done\n";
    expect(errorsOf(output)).toEqual(["make: *** [Makefile:3: build] Error 2"]);
  });

  test("generic output without error words: the last 10 non-empty lines", () => {
    const output = Array.from({ length: 15 }, (_, i) => `step ${i + 1}`).join("\n\n") + "\n";
    expect(errorsOf(output)).toEqual(Array.from({ length: 10 }, (_, i) => `step ${i + 6}`));
  });

  test("empty output gives only the headline", () => {
    expect(summariseFailure(failed(""), LIMITS)).toEqual(["`npm test` failed with exit code 1"]);
  });
});

describe("summariseFailure: limits", () => {
  test("each entry is trimmed to maxErrorChars with an ellipsis", () => {
    const limits = { maxErrors: 10, maxErrorChars: 40 };
    const result = summariseFailure(failed(TSC_PLAIN, { command: "x".repeat(100) }), limits);
    expect(result).toHaveLength(3);
    for (const entry of result) expect(entry.length).toBeLessThanOrEqual(40);
    expect(result[1]).toBe("bad.ts:4:7 error TS2322: Type 'number' …");
    expect(result[1]).toHaveLength(40);
    expect(result[0]!.endsWith("…")).toBe(true);
  });

  test("whitespace runs collapse", () => {
    expect(errorsOf("error:\tlots   of\t\tspace")).toEqual(["error: lots of space"]);
  });

  test("at most maxErrors errors after the headline", () => {
    const output = Array.from({ length: 25 }, (_, i) => `src/a.ts(${i + 1},1): error TS1005: ';' expected.`).join("\n");
    const result = summariseFailure(failed(output), { maxErrors: 3, maxErrorChars: 400 });
    expect(result).toHaveLength(4);
    expect(result.slice(1)).toEqual([
      "src/a.ts:1:1 error TS1005: ';' expected.",
      "src/a.ts:2:1 error TS1005: ';' expected.",
      "src/a.ts:3:1 error TS1005: ';' expected.",
    ]);
  });

  test("duplicates are removed before the cap", () => {
    const line = "src/a.ts(1,1): error TS1005: ';' expected.";
    const output = [line, line, line, "src/b.ts(2,2): error TS1005: ';' expected.", line].join("\r\n");
    expect(errorsOf(output, { maxErrors: 2, maxErrorChars: 400 })).toEqual([
      "src/a.ts:1:1 error TS1005: ';' expected.",
      "src/b.ts:2:2 error TS1005: ';' expected.",
    ]);
  });

  test("ANSI colours are stripped from generic output", () => {
    const errors = errorsOf(`${E}[31m✗ ${E}[1madds numbers${E}[0m\n${E}[2mexpected 5, got -1${E}[0m`);
    expect(errors).toEqual(["✗ adds numbers"]);
  });
});

describe("summariseFailure: jest", () => {
  test("each failed test with its line, the failing expression, and Expected/Received (a real Jest run, colours and all)", () => {
    const output = readFileSync(path.join(import.meta.dir, "__fixtures__", "jest-isogram.txt"), "utf8");
    const errors = summariseFailure(
      { command: "jest", exitCode: 1, timedOut: false, output },
      { maxErrors: 20, maxErrorChars: 400 },
    );
    expect(errors[0]).toBe("`jest` failed with exit code 1");
    expect(errors).toHaveLength(9);
    expect(errors[1]).toBe(
      "isogram.test.ts:17: word with one duplicated character: expect(isIsogram('eleven')).toEqual(expected) | expect(received).toEqual(expected) // deep equality | Expected: false | Received: true",
    );
  });

  test("a thrown error is located in the solution's frame", () => {
    const output = [
      "  ● Isogram › empty string",
      "",
      "    TypeError: boom",
      "",
      "      1 | export function isIsogram(phrase: string): boolean {",
      "    > 2 |   throw new TypeError('boom')",
      "        |         ^",
      "",
      "      at isIsogram (isogram.ts:2:9)",
      "      at Object.<anonymous> (isogram.test.ts:6:12)",
      "      at Promise.then.completed (node_modules/jest-circus/build/utils.js:298:28)",
    ].join("\n");
    expect(
      summariseFailure(
        { command: "jest", exitCode: 1, timedOut: false, output },
        { maxErrors: 5, maxErrorChars: 300 },
      )[1],
    ).toBe("isogram.ts:2: empty string: throw new TypeError('boom') | TypeError: boom");
  });
});
