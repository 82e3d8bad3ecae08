// Messages a model can act on, and the repairs that must never turn into a guess.
import { describe, expect, test } from "bun:test";
import { PatchRejected } from "../errors.ts";
import { applyHunks } from "./apply.ts";
import { findMatches, normalisePunctuation, pickMatch, reindent } from "./match.ts";
import { parseUnifiedDiff } from "./parse.ts";
import { joinText, splitText } from "./text.ts";

const FILE = ["def a():", "    x = 1", "    return x", "", "", "def b():", "    y = 2", "    return y", ""].join("\n");

function apply(diffBody: string, content = FILE): string {
  const [edit] = parseUnifiedDiff(`--- a/m.py\n+++ b/m.py\n${diffBody}`);
  if (!edit || edit.kind !== "hunks") throw new Error("no hunks parsed");
  return joinText(applyHunks("m.py", splitText(content), edit.hunks));
}

function rejection(diffBody: string): string {
  try {
    apply(diffBody);
  } catch (error) {
    expect(error).toBeInstanceOf(PatchRejected);
    return (error as Error).message;
  }
  throw new Error("expected a rejection");
}

describe("rejections say which hunk, why, and where", () => {
  test("not found: the closest real lines, numbered", () => {
    const message = rejection("@@ -6,3 +6,3 @@\n def b():\n-    y = 20\n+    y = 3\n     return y\n");
    expect(message).toContain("hunk 1 of m.py was not found");
    expect(message).toMatch(/ +6 \| def b\(\):\n +7 \| {5}y = 2/);
  });

  test("a dry run reports which hunks did apply, and nothing changes", () => {
    const message = rejection(
      "@@ -1,3 +1,3 @@\n def a():\n-    x = 1\n+    x = 5\n     return x\n@@ -6,2 +6,2 @@\n-    nope()\n+    yes()\n",
    );
    expect(message).toContain("hunk 2 of m.py was not found");
    expect(message).toContain("In a dry run hunk 1 applied; nothing was changed");
  });

  test("ambiguous: the lines of every match, and what to do", () => {
    const message = rejection("@@ @@\n-\n+# gap\n");
    expect(message).toContain("is ambiguous: it matches 2 places (lines 4, 5)");
    expect(message).toContain("add unchanged lines around the change");
  });

  test("overlapping hunks are refused, not applied one after the other", () => {
    const message = rejection(
      "@@ @@\n def a():\n-    x = 1\n+    x = 5\n@@ @@\n-    x = 1\n+    x = 6\n     return x\n",
    );
    expect(message).toBe("hunk 1 and hunk 2 of m.py overlap; merge them into one hunk");
  });
});

describe("repairs", () => {
  test("hunks written out of order apply in file order", () => {
    const out = apply(
      "@@ -6,3 +6,3 @@\n def b():\n-    y = 2\n+    y = 3\n@@ -1,2 +1,2 @@\n def a():\n-    x = 1\n+    x = 5\n",
    );
    expect(out).toBe(FILE.replace("x = 1", "x = 5").replace("y = 2", "y = 3"));
  });

  test("a header number breaks a tie only between a near and a far copy", () => {
    const twice = "x = 1\nprint(x)\n\n# ... 20 lines ...\n" + "pass\n".repeat(20) + "x = 1\nprint(x)\n";
    expect(apply("@@ -25,1 +25,1 @@\n-x = 1\n+x = 2\n", twice).split("\n")[24]).toBe("x = 2");
    expect(() => apply("@@ -12,1 +12,1 @@\n-x = 1\n+x = 2\n", twice)).toThrow(/ambiguous/);
  });

  test("context lines keep the file's own text even when the model's matched loosely", () => {
    const out = apply("@@ @@\n def a():  \n-    x = 1\n+    x = 5\n");
    expect(out.split("\n")[0]).toBe("def a():");
  });

  test("a hunk indented less than the file is re-indented, blank lines untouched", () => {
    expect(apply("@@ @@\n-y = 2\n-return y\n+y = 2\n+\n+return y * 2\n")).toBe(
      FILE.replace("    y = 2\n    return y", "    y = 2\n\n    return y * 2"),
    );
  });
});

describe("matching units", () => {
  test("the strictest tier that matches wins, even if a looser tier would match elsewhere too", () => {
    const lines = ["  a = 1", "a = 1"];
    expect(findMatches(lines, ["a = 1"])).toEqual([{ start: 1, tier: "exact", indentShift: 0, indentPrefix: "" }]);
  });

  test("indentation must shift consistently", () => {
    expect(findMatches(["  if x:", "      y()"], ["if x:", "  y()"])).toEqual([]);
    expect(findMatches(["  if x:", "    y()"], ["if x:", "  y()"])[0]).toMatchObject({
      tier: "indentation",
      indentShift: 2,
    });
  });

  test("pickMatch refuses a tie the hint cannot break", () => {
    const at = (start: number) => ({ start, tier: "exact" as const, indentShift: 0, indentPrefix: "" });
    expect(pickMatch([at(3), at(9)], 6)).toBeNull();
    expect(pickMatch([at(3), at(40)], 4)?.start).toBe(3);
    expect(pickMatch([at(3), at(40)], null)).toBeNull();
  });

  test("punctuation and reindent", () => {
    expect(normalisePunctuation("“hi” — it’s\u00A0ok…")).toBe('"hi" - it\'s ok...');
    expect(reindent("x", { indentShift: 4, indentPrefix: "    " })).toBe("    x");
    expect(reindent("      x", { indentShift: -4, indentPrefix: "" })).toBe("  x");
  });

  test("text keeps CRLF, BOM and a missing final newline through a round trip", () => {
    for (const content of ["a\r\nb\r\n", "\uFEFFa\nb\n", "a\nb", "", "\n"])
      expect(joinText(splitText(content))).toBe(content);
  });
});
