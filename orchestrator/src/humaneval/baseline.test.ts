import { describe, expect, test } from "bun:test";
import { baselineMessages, baselineSolution } from "./baseline.ts";
import { interleave } from "../benchmark/pool.ts";

const PROMPT = 'from typing import List\n\n\ndef total(xs: List[int]) -> int:\n    """Sum."""\n';

describe("the direct baseline", () => {
  test("asks the maker's question with the prompt in a python block", () => {
    expect(baselineMessages(PROMPT)).toEqual([
      {
        role: "user",
        content: `Can you complete the following Python function?\n\`\`\`python\n${PROMPT.trimEnd()}\n\`\`\``,
      },
    ]);
  });

  test.each([
    [
      "the first block, with the prompt's imports it dropped",
      "Sure:\n```python\ndef total(xs):\n    return sum(xs)\n```\nand\n```python\nprint(1)\n```",
      "from typing import List\ndef total(xs):\n    return sum(xs)\n",
    ],
    [
      "imports it kept are not repeated",
      "```python\nfrom typing import List\ndef total(xs: List[int]) -> int:\n    return sum(xs)\n```",
      "from typing import List\ndef total(xs: List[int]) -> int:\n    return sum(xs)\n",
    ],
    ["a bare body follows the prompt", "```python\n    return sum(xs)\n```", `${PROMPT}    return sum(xs)\n`],
    [
      "no block: the reply itself",
      "def total(xs):\n    return sum(xs)",
      "from typing import List\ndef total(xs):\n    return sum(xs)\n",
    ],
    [
      "an unclosed block runs to the end",
      "```python\ndef total(xs):\n    return sum(xs)\n",
      "from typing import List\ndef total(xs):\n    return sum(xs)\n",
    ],
  ])("%s", (_name, reply, expected) => {
    expect(baselineSolution(reply, PROMPT, "total")).toBe(expected);
  });
});

describe("the baseline's order of work", () => {
  test("tiers take turns, so both model servers are busy from the first call; a longer list runs on alone", () => {
    expect(interleave([["f0", "f1", "f2"], ["d0"]])).toEqual(["f0", "d0", "f1", "f2"]);
    expect(interleave([[], ["d0", "d1"]])).toEqual(["d0", "d1"]);
    expect(interleave([])).toEqual([]);
  });
});
