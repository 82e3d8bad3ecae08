// Unmarked hunks and path-less code blocks: the readings that are certain, and refusals for the rest.
import { describe, expect, test } from "bun:test";
import { PatchRejected } from "../errors.ts";
import { planPatch } from "./index.ts";

const FILE =
  'from typing import List\n\n\ndef total(xs: List[int]) -> int:\n    """Sum of xs.\n    >>> total([1, 2])\n    3\n    """\n';
const BODY = "    out = 0\n    for x in xs:\n        out += x\n    return out\n";
const plan = (reply: string, file = FILE) =>
  planPatch({ reply, files: new Map([["solution.py", file]]), maxChangedLines: 300 });
const applied = (reply: string, file = FILE) => plan(reply, file).changes[0]!.content;
const refusal = (reply: string, file = FILE) => {
  try {
    plan(reply, file);
  } catch (error) {
    if (error instanceof PatchRejected) return error.message;
    throw error;
  }
  throw new Error("applied");
};
const diff = (body: string) => `\`\`\`diff\n--- a/solution.py\n+++ b/solution.py\n@@ -1,8 +1,12 @@\n${body}\`\`\`\n`;

describe("a diff hunk that marks no line", () => {
  test("the whole file as bare lines, the first with a context space: read as written, body kept as indented", () => {
    const bare = FILE.split("\n")
      .slice(0, -1)
      .map((line, index) => (index === 0 ? ` ${line}` : line))
      .join("\n");
    expect(applied(diff(`${bare}\n${BODY}`))).toBe(FILE + BODY);
  });

  test("every context line with its space and the new body bare (the HumanEval/2 case): no line shifts", () => {
    const prefixed = FILE.split("\n")
      .slice(0, -1)
      .map((line) => ` ${line}`)
      .join("\n");
    expect(applied(diff(`${prefixed}\n${BODY}`))).toBe(FILE + BODY);
  });

  test("a stretch from the def on, imports left out: the new lines go after it and the imports stay", () => {
    const fromDef = FILE.split("\n").slice(3, -1).join("\n");
    expect(applied(diff(`${fromDef}\n${BODY}`))).toBe(FILE + BODY);
  });

  test("the whole file with a line changed: it is the new file, the old line gone", () => {
    const file = FILE.replace("Sum of xs.", "Sum of the xs.");
    expect(applied(diff(`${FILE}${BODY}`), file)).toBe(FILE + BODY);
  });

  test("new lines at the end of a stretch with more of the file after it: insert or replace? refused", () => {
    const file = `${FILE}    return sum(xs)\n`;
    expect(refusal(diff(`${FILE}${BODY}`), file)).toContain("whether they replace the rest is unclear");
  });

  test("a stub body after the stretch (raise NotImplementedError, pass): the new lines replace it", () => {
    const stub = `${FILE}    raise NotImplementedError\n`;
    expect(applied("```python\n" + FILE + BODY + "```\n", stub)).toBe(FILE + BODY);
    expect(applied("```python\n" + FILE + BODY + "```\n", `${FILE}    pass\n`)).toBe(FILE + BODY);
    // The stub of a function with more of the file after it: whether the rest goes too is unclear.
    expect(refusal("```python\n" + FILE + BODY + "```\n", `${stub}\n\ndef other():\n    return 1\n`)).toContain(
      "ends with new lines",
    );
  });

  test("a changed line in the middle of a partial stretch: refused, with how to mark lines", () => {
    const changed = FILE.split("\n")
      .slice(3, -1)
      .map((line) => (line.includes(">>>") ? "    >>> total([2, 2])" : line))
      .join("\n");
    expect(refusal(diff(`${changed}\n${BODY}`))).toContain("neither the whole file nor one unbroken stretch");
  });

  test("nothing of the file in it: refused, where it goes is unknown", () => {
    expect(refusal(diff(BODY))).toContain("none of its lines is in the file");
  });

  test("a placeholder standing for left-out lines: refused", () => {
    const file = `${FILE}\n\ndef other():\n    return 1\n`;
    const reply = diff(`from typing import List\n    # ... rest of the code\n    return 1\n`);
    expect(refusal(reply, file)).toContain("leaves lines out");
  });

  test("the lines as they are: a diff that adds nothing changes nothing", () => {
    expect(
      refusal(
        diff(
          `${FILE.split("\n")
            .slice(0, -1)
            .map((line) => ` ${line}`)
            .join("\n")}\n`,
        ),
      ),
    ).toBe("the patch changes nothing");
  });
});

describe("a reply that names no file, one file owned", () => {
  test("one python block holding the whole file is that file", () => {
    expect(applied(`Here it is:\n\`\`\`python\n${FILE}${BODY}\`\`\`\n`)).toBe(FILE + BODY);
  });

  test("one python block from the def on: the imports it left out stay", () => {
    expect(applied(`\`\`\`python\n${FILE.split("\n").slice(3).join("\n")}${BODY}\`\`\`\n`)).toBe(FILE + BODY);
  });

  test("a diff block with no headers holding the file's lines", () => {
    expect(applied(`\`\`\`diff\n${FILE}${BODY}\`\`\`\n`)).toBe(FILE + BODY);
  });

  test("the solution block and a usage block: the one that shares the file's lines", () => {
    expect(applied(`\`\`\`python\n${FILE}${BODY}\`\`\`\nUse it:\n\`\`\`python\nprint(total([1, 2]))\n\`\`\`\n`)).toBe(
      FILE + BODY,
    );
  });

  test("a one-line snippet in prose is advice, not the file", () => {
    expect(refusal("You could write, for example:\n```python\n    return sum(xs)\n```\n")).toContain(
      "none of its lines is in the file",
    );
    expect(refusal('Keep the docstring:\n```python\n    """Sum of xs.\n    return sum(xs)\n```\n')).toMatch(
      /holds only 1 of the|whether they replace the rest is unclear/,
    );
  });

  test("shell and output blocks are not the file; with nothing else, the prompt's own format is named", () => {
    const message = planPatchMessage("Run it:\n```bash\npytest -q\n```\n", "whole");
    expect(message).toContain("PATH alone on a line");
  });

  test("two blocks that both could be the file: refused, naming the fix", () => {
    expect(
      refusal(`\`\`\`python\n${FILE}${BODY}\`\`\`\nor\n\`\`\`python\n${FILE}    return sum(xs)\n\`\`\`\n`),
    ).toContain("put the path alone on the line above");
  });

  test("with two files owned, a block that names neither is not guessed at", () => {
    expect(() =>
      planPatch({
        reply: `\`\`\`python\n${FILE}${BODY}\`\`\`\n`,
        files: new Map([
          ["solution.py", FILE],
          ["other.py", "x = 1\n"],
        ]),
        maxChangedLines: 300,
      }),
    ).toThrow("no edit found");
  });
});

function planPatchMessage(reply: string, asked: "udiff" | "whole" | "search-replace"): string {
  try {
    planPatch({ reply, files: new Map([["solution.py", FILE]]), maxChangedLines: 300, asked });
  } catch (error) {
    return (error as Error).message;
  }
  return "applied";
}

describe("a rewritten head", () => {
  const file = '\n\ndef triples(l: list):\n    """True when three of l sum to zero."""\n';
  const body = "    return any(a + b + c == 0 for a in l for b in l for c in l)\n";
  const doc = '    """True when three of l sum to zero."""\n';
  test("the signature given type hints and an import added above it (HumanEval/40): the block is the file from its top", () => {
    const block = `from typing import List\n\ndef triples(l: List[int]) -> bool:\n${doc}${body}`;
    expect(applied("```python\n" + block + "```\n", file)).toBe(block);
  });

  test("a function the block does not define again: refused", () => {
    const reply = "```python\n" + `def triples(l: List[int]) -> bool:\n${doc}${body}` + "```\n";
    expect(refusal(reply, `def other():\n    return 1\n${file}`)).toContain("begins with new lines");
  });

  test("an import the block dropped, every function defined again: the file's import is kept above the block", () => {
    const block = `def triples(l: List[int]) -> bool:\n${doc}${body}`;
    expect(applied("```python\n" + block + "```\n", `import math\n${file}`)).toBe(`import math\n\n${block}`);
  });
});

describe("a file written afresh: every function and class the file defines, defined again", () => {
  const stub = 'from typing import List\n\n\ndef strongest(name, extensions):\n    """The strongest extension."""\n';
  const fresh =
    'def strongest(name: str, extensions: List[str]) -> str:\n    def strength(e):\n        return sum(c.isupper() for c in e) - sum(c.islower() for c in e)\n\n    return f"{name}.{max(extensions, key=strength)}"\n';

  test("no line of the file kept (HumanEval/153): the block is the file, its imports kept above", () => {
    expect(applied("```python\n" + fresh + "```\n", stub)).toBe(`from typing import List\n\n${fresh}`);
  });

  test("a signature respaced and a helper added after it (HumanEval/72): the block as written", () => {
    const file = "\ndef fly(q,w):\n    '''Balanced and light enough.'''\n";
    const block =
      "def fly(q, w):\n    '''Balanced and light enough.'''\n    return balanced(q) and sum(q) <= w\n\ndef balanced(q):\n    return q == q[::-1]\n";
    expect(applied("```python\n" + block + "```\n", file)).toBe(block);
  });

  test("a block after a __future__ import keeps it first", () => {
    const block = "from __future__ import annotations\ndef strongest(name, extensions):\n    return name\n";
    expect(applied("```python\n" + block + "```\n", stub)).toBe(
      "from __future__ import annotations\nfrom typing import List\n\ndef strongest(name, extensions):\n    return name\n",
    );
  });

  test("not where the file holds more than definitions, a definition is missing, or an import spans lines", () => {
    expect(refusal("```python\n" + fresh + "```\n", `LIMIT = 3\n${stub}`)).toContain(
      "none of its lines is in the file",
    );
    expect(refusal("```python\n" + fresh + "```\n", `${stub}\n\ndef weakest(name):\n    pass\n`)).toContain(
      "none of its lines is in the file",
    );
    expect(
      refusal(
        "```python\n" + fresh + "```\n",
        stub.replace("from typing import List", "from typing import (\n    List,\n)"),
      ),
    ).toContain("none of its lines is in the file");
  });

  test("a placeholder for left-out lines: refused", () => {
    expect(
      refusal("```python\n" + fresh.replace("    return f", "    # ... rest unchanged\n    return f") + "```\n", stub),
    ).toContain("none of its lines is in the file");
  });

  test("a diff block is never read this way", () => {
    expect(() => plan("```diff\n" + fresh + "```\n", stub)).toThrow(PatchRejected);
  });
});

describe("echoes", () => {
  test("new lines before the first known one, with more of the file above: refused", () => {
    const file = `"""Module."""\n\n${FILE}`;
    expect(refusal(`\`\`\`python\n# Files you may change\n## solution.py\n${FILE}${BODY}\`\`\`\n`, file)).toContain(
      "begins with new lines",
    );
  });

  test("the file echoed back with a blank line more: nothing but blank lines changed, refused", () => {
    expect(refusal(`\`\`\`python\n${FILE.replace("\n\n\n", "\n\n\n\n")}\`\`\`\n`)).toContain(
      "changes nothing but blank lines",
    );
  });
});

describe("whole files that implement stubs (Exercism's 0.5B replies)", () => {
  const STUBS = "def encode(text):\n    pass\n\n\ndef decode(text):\n    pass\n";
  test("every def kept in order, every pass replaced, blank lines collapsed: the whole file", () => {
    const reply =
      "```python\ndef encode(text):\n    return text[::-1]\n\ndef decode(text):\n    return text[::-1]\n```\n";
    expect(applied(reply, STUBS)).toBe(
      "def encode(text):\n    return text[::-1]\n\ndef decode(text):\n    return text[::-1]\n",
    );
  });

  test("a def left out: its stub stays, for the tests to ask for", () => {
    expect(applied("```python\ndef encode(text):\n    return text[::-1]\n```\n", STUBS)).toBe(
      "def encode(text):\n    return text[::-1]\n\n\ndef decode(text):\n    pass\n",
    );
  });

  test("a class rewritten with helpers after it, a later stub function never mentioned (dnd-character): the stub stays", () => {
    const stub = "class Character:\n    def __init__(self):\n        pass\n\ndef modifier(value):\n    pass\n";
    const block =
      "import random\n\nclass Character:\n    def __init__(self):\n        self.strength = random.randint(3, 18)\n\ndef roll():\n    return random.randint(1, 6)\n";
    expect(applied("```python\n" + block + "```\n", stub)).toBe(`${block}\ndef modifier(value):\n    pass\n`);
  });

  test("not when the file goes on with code that is not a stub, or with a stub the block defines again", () => {
    const withCode = "def encode(text):\n    pass\n\n\ndef decode(text):\n    return text\n";
    expect(refusal("```python\ndef encode(text):\n    return text[::-1]\n\nx = 1\n```\n", withCode)).toContain(
      "goes on after",
    );
    const three = `${STUBS}\n\ndef extra(text):\n    pass\n`;
    const both =
      "```python\ndef encode(text):\n    return text[::-1]\n\ndef decode(text):\n    return text[::-1]\n```\n";
    expect(refusal(both, three)).toContain("neither the whole file nor one unbroken stretch");
  });

  test("a placeholder where the block leaves out some of the file's lines is refused; with every line there, it is a comment", () => {
    const three = "def encode(text):\n    pass\n\n\ndef middle(text):\n    return 1\n\n\ndef decode(text):\n    pass\n";
    expect(
      refusal(
        "```python\ndef encode(text):\n    return text\n# rest of the code unchanged\ndef decode(text):\n    return text\n```\n",
        three,
      ),
    ).toContain("leaves lines out");
    const explained =
      "```python\ndef encode(text):\n    # letters go through unchanged\n    return text[::-1]\n\ndef decode(text):\n    return text[::-1]\n```\n";
    expect(applied(explained, STUBS)).toContain("# letters go through unchanged");
  });

  test("a block that goes on with another file after a comment naming it: that part is another file's edit", () => {
    const reply =
      "```python\ndef encode(text):\n    return text\n\ndef decode(text):\n    return text\n\n# codec_test.py\nimport unittest\n```\n";
    const result = planPatch({ reply, files: new Map([["codec.py", STUBS]]), maxChangedLines: 300 });
    expect(result.changes).toEqual([
      { path: "codec.py", content: "def encode(text):\n    return text\n\ndef decode(text):\n    return text\n" },
    ]);
    expect(result.ignored).toEqual(["codec_test.py"]);
  });

  test("a comment naming a file that the file itself already holds is code, not a boundary; nor is a name without a file's extension", () => {
    const file = "NAME = 'x'\n\n# settings.py\nDEBUG = False\n\n\ndef name():\n    pass\n";
    const reply = "```python\nNAME = 'x'\n\n# settings.py\nDEBUG = False\n\n\ndef name():\n    return NAME\n```\n";
    expect(planPatch({ reply, files: new Map([["app.py", file]]), maxChangedLines: 300 }).changes[0]!.content).toBe(
      "NAME = 'x'\n\n# settings.py\nDEBUG = False\n\n\ndef name():\n    return NAME\n",
    );
    const methods =
      "```python\ndef encode(text):\n    # dict.get\n    return text\n\ndef decode(text):\n    return text\n```\n";
    expect(applied(methods, STUBS)).toContain("# dict.get\n    return text\n\ndef decode");
  });
});
