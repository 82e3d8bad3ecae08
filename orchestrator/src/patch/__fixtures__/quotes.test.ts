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
});
