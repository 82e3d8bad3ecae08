import { describe, expect, test } from "bun:test";
import { commandSection, exchangeTurns } from "./chat.ts";

describe("the chat layout's retry turns", () => {
  test("the failing command's output alone: a build's log before the tests is not what the model is shown", () => {
    const output = "$ tsc --noEmit\nok\n$ jest\nFAIL a.test.ts\n  expected 2\n$ eslint .\n";
    expect(commandSection(output, "jest")).toBe("FAIL a.test.ts\n  expected 2");
    expect(commandSection(output, "grading-config check")).toBe("");
  });

  test("with no output to show, the errors are (a timeout, a rewritten grading config); with neither, one plain line", () => {
    const timedOut = exchangeTurns(
      { reply: "r", notes: [], output: "", errors: ["`pytest` timed out after 60 s and was killed"] },
      "a.py",
    );
    expect(timedOut[1]!.content).toStartWith("- `pytest` timed out after 60 s and was killed\n\n####\n");
    const nothing = exchangeTurns({ reply: "", notes: [], output: "", errors: [] }, "a.py");
    expect(nothing).toEqual([
      { role: "assistant", content: "(no reply)" },
      { role: "user", content: "The checks failed. Fix the code in a.py." },
    ]);
  });

  test("a refusal whose files pass as they stand: the refusal alone, no test paragraph", () => {
    const [, said] = exchangeTurns(
      { reply: "a.py\n```\nx = 1\n```", notes: ["patch rejected: the checks already pass"], output: "", errors: [] },
      "a.py",
    );
    expect(said!.content).toBe("patch rejected: the checks already pass");
  });
});
