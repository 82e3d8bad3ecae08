import { describe, expect, test } from "bun:test";
import { TaskInvalid } from "../errors.ts";
import { parseTask } from "./task.ts";

function invalid(text: string, source = "task.json"): TaskInvalid {
  try {
    parseTask(text, source);
  } catch (error) {
    expect(error).toBeInstanceOf(TaskInvalid);
    return error as TaskInvalid;
  }
  throw new Error(`expected TaskInvalid for ${text}`);
}

const ok = { description: "make add() handle negatives", filesOwned: ["src/add.ts"] };
const withField = (extra: Record<string, unknown>) => JSON.stringify({ ...ok, ...extra });

describe("parseTask: valid", () => {
  test("minimal task", () => {
    expect(parseTask(JSON.stringify(ok), "stdin")).toEqual(ok);
  });

  test("full task", () => {
    const full = {
      ...ok,
      filesOwned: ["src/add.ts", "test/add.test.ts"],
      verify: ["bun test", "tsc --noEmit"],
      startTier: "deep" as const,
      maxAttempts: 7,
    };
    expect(parseTask(JSON.stringify(full), "stdin")).toEqual(full);
  });

  test("description is trimmed", () => {
    expect(parseTask(withField({ description: "  fix it \n" }), "stdin")).toMatchObject({ description: "fix it" });
  });

  test("maxAttempts bounds 1 and 100 are accepted", () => {
    expect(parseTask(withField({ maxAttempts: 1 }), "stdin").maxAttempts).toBe(1);
    expect(parseTask(withField({ maxAttempts: 100 }), "stdin").maxAttempts).toBe(100);
  });
});

describe("parseTask: errors are TaskInvalid naming the field", () => {
  test("not JSON → field is the source", () => {
    const error = invalid("{description: nope", "my-task.json");
    expect(error.field).toBe("my-task.json");
    expect(error.problem).toContain("not valid JSON");
    expect(error.name).toBe("TaskInvalid");
  });

  test.each([["[1,2]"], ["null"], ['"a string"'], ["42"]])("%s is not an object", (text) => {
    const error = invalid(text, "stdin");
    expect(error.field).toBe("stdin");
    expect(error.problem).toBe("is not a JSON object");
  });

  test("missing description is required", () => {
    const error = invalid(JSON.stringify({ filesOwned: ["a.ts"] }));
    expect(error.field).toBe("description");
    expect(error.problem).toBe("is required");
    expect(error.fix).toContain("description");
  });

  test("missing filesOwned is required", () => {
    const error = invalid(JSON.stringify({ description: "x" }));
    expect(error.field).toBe("filesOwned");
    expect(error.problem).toBe("is required");
  });

  test("blank description is not 'required' but too small", () => {
    const error = invalid(withField({ description: "   " }));
    expect(error.field).toBe("description");
    expect(error.problem).not.toBe("is required");
  });

  test("empty filesOwned", () => {
    const error = invalid(withField({ filesOwned: [] }));
    expect(error.field).toBe("filesOwned");
    expect(error.problem).not.toBe("is required");
    expect(error.fix).toContain("non-empty list");
  });

  test("empty string inside filesOwned names the index", () => {
    expect(invalid(withField({ filesOwned: ["ok.ts", ""] })).field).toBe("filesOwned.1");
  });

  test("unknown field → field is the key name", () => {
    const error = invalid(withField({ files: ["a.ts"] }));
    expect(error.field).toBe("files");
    expect(error.problem).toBe("is not a task field");
    expect(error.fix).toContain("description, filesOwned, verify, startTier, maxAttempts");
  });

  test("bad startTier", () => {
    const error = invalid(withField({ startTier: "turbo" }));
    expect(error.field).toBe("startTier");
    expect(error.fix).toContain('"fast", "deep", "reviewer"');
  });

  test.each([[0], [101], [2.5], ["3"]])("maxAttempts %p", (value) => {
    const error = invalid(withField({ maxAttempts: value }));
    expect(error.field).toBe("maxAttempts");
  });

  test("verify empty list", () => {
    const error = invalid(withField({ verify: [] }));
    expect(error.field).toBe("verify");
    expect(error.problem).not.toBe("is required");
    expect(error.fix).toContain('"verify"');
  });

  test("verify with a blank command names the index", () => {
    expect(invalid(withField({ verify: ["npm test", "  "] })).field).toBe("verify.1");
  });

  test("message includes field, problem and fix", () => {
    const error = invalid(withField({ maxAttempts: 0 }));
    expect(error.message).toBe(`maxAttempts: ${error.problem}. Fix: ${error.fix}`);
  });
});
