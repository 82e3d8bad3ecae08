import { expect, test } from "bun:test";
import { markQuotes, unmarkQuotes } from "./quotes.ts";
import { problem } from "../../verify/__fixtures__/grader/problems.ts";

test("a reply quoting its problem keeps marks, not the problem's lines, and reads back exactly", () => {
  const source = problem("HumanEval/0");
  const reply = `Here:\n\n\`\`\`python\n${source.prompt}    return True  # short\n\`\`\`\n`;
  const marked = markQuotes(reply, source);
  const longLines = source.prompt.split("\n").filter((line) => line.trim().length >= 10);
  for (const line of longLines) expect(marked).not.toContain(line.trim());
  expect(marked).toContain("⟦HE:");
  expect(unmarkQuotes(marked, source)).toBe(reply);
  // A short line of the problem (a doctest's answer) is marked where it is a whole line, not inside other text.
  const answer = source.prompt.split("\n").find((line) => line.trim() === "False")!;
  const quoted = `${answer}\n    x = False  # not the problem's\n`;
  expect(markQuotes(quoted, source)).toMatch(/^ +⟦HE:\d+⟧\n    x = False  # not the problem's\n$/);
  expect(unmarkQuotes(markQuotes(quoted, source), source)).toBe(quoted);
});
