// Text inside a file's block that is not the file: a label comment naming it, a second fence opened inside the first.
// Shapes from Qwen2.5-Coder replies (HumanEval/10 and 38 by the 0.5B, workspace/join by the 1.5B).
import { describe, expect, test } from "bun:test";
import { PatchRejected } from "../errors.ts";
import { planPatch } from "./index.ts";

const TEXT =
  '"""Text helpers."""\n\n\ndef shout(text):\n    """Upper case with an exclamation mark."""\n    return text.upper() + "!"\n';
const NEW = `${TEXT}\n\ndef whisper(text):\n    """Lower case."""\n    return text.lower()\n`;
const files = (content: string | null = TEXT, path = "text.py") => new Map([[path, content]]);
const plan = (reply: string, owned = files()) =>
  planPatch({ reply, files: owned, maxChangedLines: 300, asked: "whole" });
const refusal = (reply: string, owned = files()) => {
  try {
    plan(reply, owned);
  } catch (error) {
    if (error instanceof PatchRejected) return error.message;
    throw error;
  }
  throw new Error("applied");
};

describe("a comment that only names the file", () => {
  test("opening a path-less block: dropped, the rest is the file", () => {
    expect(plan("```python\n# text.py\n" + NEW + "```\n").changes[0]!.content).toBe(NEW);
  });

  test("opening a named block, as // path or # File: path: dropped", () => {
    expect(plan("text.py\n```python\n# File: text.py\n" + NEW + "```\n").changes[0]!.content).toBe(NEW);
    const ts = "export const a = 1;\n";
    const owned = files(ts, "src/a.ts");
    expect(plan("src/a.ts\n```ts\n// src/a.ts\nexport const a = 2;\n```\n", owned).changes[0]!.content).toBe(
      "export const a = 2;\n",
    );
  });

  test("kept when the file itself has that line, or it names another file", () => {
    const labelled = `# text.py\n${TEXT}`;
    expect(plan("```python\n" + `# text.py\n${NEW}` + "```\n", files(labelled)).changes[0]!.content).toBe(
      `# text.py\n${NEW}`,
    );
    expect(plan("text.py\n```python\n# other.py\n" + NEW + "```\n").changes[0]!.content).toBe(`# other.py\n${NEW}`);
  });
});

describe("a fence opened inside a block", () => {
  test("the file would gain a fence line: refused, naming the fix", () => {
    expect(refusal("```python\n```python\n" + NEW + "```\n```\n")).toContain(
      "would hold the line ```python, a code fence",
    );
    expect(refusal("text.py\n```python\n```python\n" + NEW + "```\n```\n")).toContain(
      "send text.py in a single fenced block",
    );
  });

  test("the path and an opening fence at the top of a block: the prompt's example wrapped in one more fence, the rest is the file", () => {
    // The 1.5B's HumanEval/0 reply in the plain layout: "```\nsolution.py\n```python\nCODE\n```".
    expect(plan("```\ntext.py\n```python\n" + NEW + "```\n").changes[0]!.content).toBe(NEW);
    expect(plan("```python\n# text.py\n```python\n" + NEW + "```\n```\n").changes[0]!.content).toBe(NEW);
    expect(plan("```\n`text.py`\n```python\n" + NEW + "```\n").changes[0]!.content).toBe(NEW);
  });

  test("a path line and a fence the file itself holds are content, and another file's name is no wrapping", () => {
    const withFence = 'DOC = """\ntext.py\n```\n"""\n';
    expect(refusal("```\nother.py\n```python\n" + NEW + "```\n")).toContain("code fence");
    const edited = withFence.replace('"""\n', '"""\nX = 1\n');
    expect(plan("text.py\n````python\n" + edited.slice(0) + "````\n", files(withFence)).changes[0]!.content).toBe(
      edited,
    );
  });

  test("a fence line is content in markdown, and a code file that had one may keep it", () => {
    const readme = "# Notes\n\n```sh\nls\n```\n";
    const owned = files(readme, "NOTES.md");
    expect(plan("NOTES.md\n````markdown\n# Notes\n\n```sh\nls -la\n```\n````\n", owned).changes[0]!.content).toBe(
      "# Notes\n\n```sh\nls -la\n```\n",
    );
    const withFence = 'DOC = """\n```\nexample\n```\n"""\n';
    const edited = withFence.replace("example", "changed");
    expect(plan("text.py\n````python\n" + edited + "````\n", files(withFence)).changes[0]!.content).toBe(edited);
  });
});

describe("a whole file whose new lines copy the file's own", () => {
  test("every line of the file in order, from its first: the block is the file (HumanEval/38's decode body)", () => {
    const stub =
      'def encode(s):\n    groups = list(s)\n    return \'\'.join(groups)\n\n\ndef decode(s):\n    """Undo encode."""\n';
    const full = `${stub}    groups = list(s)\n    return ''.join(groups)\n`;
    expect(plan("```python\n# solution.py\n" + full + "```\n", files(stub, "solution.py")).changes[0]!.content).toBe(
      full,
    );
  });

  test("a line of the file missing: still refused (in a file of more than definitions; unmarked.test.ts has one without)", () => {
    const stub =
      'SIZE = 3\n\n\ndef encode(s):\n    groups = list(s)\n    return \'\'.join(groups)\n\n\ndef decode(s):\n    """Undo encode."""\n';
    const lossy =
      'SIZE = 3\n\n\ndef encode(s):\n    return \'\'.join(groups)\n\n\ndef decode(s):\n    """Undo encode."""\n    groups = list(s)\n';
    expect(refusal("```python\n" + lossy + "```\n", files(stub, "solution.py"))).toContain(
      "neither the whole file nor one unbroken stretch",
    );
  });
});
