import { describe, expect, test } from "bun:test";
import { PatchRejected } from "../errors.ts";
import { definitionsFile, fileInBlocks, topDefinitions } from "./definitions.ts";
import { planPatch } from "./index.ts";

const STUB = "def encode(plain_text, a, b):\n    pass\n\n\ndef decode(ciphered_text, a, b):\n    pass\n";
const ENCODE = "def encode(plain_text, a, b):\n    return plain_text.upper()\n";
const DECODE = "def decode(ciphered_text, a, b):\n    return ciphered_text.lower()\n";
const fenced = (code: string) => "```python\n" + code + "```\n";
const plan = (reply: string, file = STUB) =>
  planPatch({ reply, files: new Map([["affine_cipher.py", file]]), maxChangedLines: 300, asked: "whole" });

describe("what a file defines", () => {
  test("top-level functions and classes, in order; nested ones and imports are not definitions", () => {
    expect(
      topDefinitions(["import os", "class A:", "    def m(self):", "        pass", "async def run():", "def f(x):"]),
    ).toEqual(["class:A", "def:run", "def:f"]);
  });

  test("a file of definitions holds only imports, definitions, decorators and comments at its top level", () => {
    expect(definitionsFile(["from typing import List", "# helpers", "@cache", "def f(x):", "    return x"])).toEqual([
      "def:f",
    ]);
    expect(definitionsFile(["LIMIT = 3", "def f(x):", "    return x"])).toBeNull();
    expect(definitionsFile(["import os"])).toBeNull();
  });
});

describe("the file in several code blocks that name no file (the 0.5B's affine-cipher)", () => {
  test("one function per block, in the reply's order: the file is the blocks joined", () => {
    const reply = `Here is encode:\n\n${fenced(ENCODE)}\nAnd decode:\n\n${fenced(DECODE)}\n### Explanation\n...`;
    expect(plan(reply).changes[0]!.content).toBe(`${ENCODE}\n\n${DECODE}`);
  });

  test("a usage block beside them is not part of the file", () => {
    const reply = `${fenced(ENCODE)}${fenced(DECODE)}Usage:\n${fenced('print(encode("abc", 5, 7))\n')}`;
    expect(plan(reply).changes[0]!.content).toBe(`${ENCODE}\n\n${DECODE}`);
  });

  test("the pieces, then the whole file once more: the block that defines everything", () => {
    const reply = `${fenced(ENCODE)}${fenced(DECODE)}All together:\n${fenced(`${DECODE}\n\n${ENCODE}`)}`;
    expect(plan(reply).changes[0]!.content).toBe(`${DECODE}\n\n${ENCODE}`);
  });

  test("not certain, refused: a function left out, one defined twice, two blocks each whole", () => {
    const refused = (reply: string) => expect(() => plan(reply)).toThrow(PatchRejected);
    refused(`${fenced(ENCODE)}${fenced(ENCODE.replace("upper", "lower"))}`);
    refused(`${fenced(ENCODE)}${fenced(`${ENCODE}${DECODE}`)}${fenced(`${ENCODE}${DECODE}`)}`);
    refused(`${fenced(`${ENCODE}\n\n${DECODE}`)}${fenced(`${DECODE}\n\n${ENCODE}`)}`);
    expect(() => plan(`${fenced(ENCODE)}${fenced(DECODE)}`, `LIMIT = 3\n\n\n${STUB}`)).toThrow(PatchRejected);
  });

  test("fileInBlocks: null where the file is more than definitions", () => {
    expect(fileInBlocks(["X = 1", "def f():", "    pass"], [{ lines: ["def f():", "    return 1"] }])).toBeNull();
  });
});

describe("a block that only adds definitions the file lacks (tasks/roman-example.json's 0.5B reply)", () => {
  const roman =
    '"""Roman numerals."""\n\nNUMERALS = [(10, "X"), (1, "I")]\n\n\ndef to_roman(number):\n    """The numeral."""\n    out = []\n    return "".join(out)\n';
  const romanPlan = (reply: string) =>
    planPatch({ reply, files: new Map([["roman.py", roman]]), maxChangedLines: 300, asked: "whole" });
  const added = 'def from_roman(text):\n    """The numeral."""\n    out = []\n    return sum(out)\n';

  test("goes after the file's last line, even where its body repeats lines of the file", () => {
    const reply = `Add this to roman.py:\n\n${fenced(added)}\nThen:\n${fenced('print(from_roman("XI"))\n')}`;
    expect(romanPlan(reply).changes[0]!.content).toBe(`${roman}\n\n${added}`);
  });

  test("not a block that defines a function the file has, or holds other code at its top level", () => {
    expect(() => romanPlan(fenced(`${added}\ndef to_roman(number):\n    return ""\n`))).toThrow(PatchRejected);
    expect(() => romanPlan(fenced(`LIMIT = 3\n${added}`))).toThrow(PatchRejected);
    expect(() => romanPlan(fenced(added.replace("    out = []\n", "    # ... rest unchanged\n")))).toThrow(
      PatchRejected,
    );
  });
});
