import { describe, expect, test } from "bun:test";
import { createTwoFilesPatch } from "diff";
import { PatchRejected } from "../errors.ts";
import { extractDiff } from "./extract.ts";
import { resolveHeaderPath } from "./paths.ts";
import { DEV_NULL } from "./types.ts";

const DIFF = createTwoFilesPatch("a/src/add.ts", "b/src/add.ts", "return a - b;\n", "return a + b;\n").replace(
  /^=+\n/,
  "",
);

describe("extractDiff", () => {
  test("a bare diff is returned as is", () => {
    expect(extractDiff(DIFF)).toBe(DIFF);
  });

  test("fenced diff with prose before and after", () => {
    const reply = `Sure! The sign is wrong.\n\n\`\`\`diff\n${DIFF}\`\`\`\n\nThis makes add() add. Let me know!`;
    expect(extractDiff(reply)).toBe(DIFF);
  });

  test("tilde fences work too", () => {
    expect(extractDiff(`~~~patch\n${DIFF}~~~\n`)).toBe(DIFF);
  });

  test("a fenced non-diff block is ignored in favour of the fenced diff", () => {
    const reply = `Before:\n\`\`\`ts\nreturn a - b;\n\`\`\`\nPatch:\n\`\`\`diff\n${DIFF}\`\`\``;
    expect(extractDiff(reply)).toBe(DIFF);
  });

  test("several fenced diffs are joined", () => {
    const other = createTwoFilesPatch("a/src/sub.ts", "b/src/sub.ts", "x\n", "y\n").replace(/^=+\n/, "");
    const joined = extractDiff(`\`\`\`diff\n${DIFF}\`\`\`\nand\n\`\`\`diff\n${other}\`\`\``);
    expect(joined).toContain("+++ b/src/add.ts");
    expect(joined).toContain("+++ b/src/sub.ts");
  });

  test("unfenced diff after prose ends where the prose resumes", () => {
    const reply = `Here is the patch:\n${DIFF}That should fix the failing test.\nThanks.`;
    const found = extractDiff(reply);
    expect(found).toStartWith("--- a/src/add.ts\n");
    expect(found).toContain("+return a + b;");
    expect(found).not.toContain("That should fix");
    expect(found).not.toContain("Here is");
  });

  test("unfenced git diff keeps its git header lines", () => {
    const reply = `diff --git a/run.sh b/run.sh\nindex 1111111..2222222 100644\n${DIFF}\nDone.`;
    expect(extractDiff(reply)).toStartWith(
      "diff --git a/run.sh b/run.sh\nindex 1111111..2222222 100644\n--- a/src/add.ts",
    );
  });

  test("CRLF replies are normalised", () => {
    expect(extractDiff(DIFF.replaceAll("\n", "\r\n"))).toBe(DIFF);
  });

  test.each([
    ["plain prose", "I could not find the bug, sorry."],
    ["a code block without a diff", "```ts\nexport const x = 1;\n```"],
    ["file headers without a hunk", "--- a/x.ts\n+++ b/x.ts\n"],
    ["a hunk without file headers", "@@ -1 +1 @@\n-a\n+b\n"],
  ])("%s → null", (_, reply) => {
    expect(extractDiff(reply)).toBeNull();
  });
});

describe("resolveHeaderPath", () => {
  const owned = new Set(["src/add.ts", "README.md", "a/notes.txt"]);

  test.each([
    ["src/add.ts", "src/add.ts"],
    ["a/src/add.ts", "src/add.ts"],
    ["b/src/add.ts", "src/add.ts"],
    ["./src/add.ts", "src/add.ts"],
    ["src/add.ts\t2024-05-01 10:00:00.000000000 +0200", "src/add.ts"],
    ['"src/add.ts"', "src/add.ts"],
    ["b/README.md", "README.md"],
    ["a/notes.txt", "a/notes.txt"],
    ["a/a/notes.txt", "a/notes.txt"],
    ["/dev/null", DEV_NULL],
  ])("%p → %p", (raw, expected) => {
    expect(resolveHeaderPath(raw, owned)).toBe(expected);
  });

  function rejection(raw: string): PatchRejected {
    try {
      resolveHeaderPath(raw, owned);
    } catch (error) {
      expect(error).toBeInstanceOf(PatchRejected);
      return error as PatchRejected;
    }
    throw new Error(`expected PatchRejected for ${raw}`);
  }

  test.each([
    ["src/other.ts", "path is not in filesOwned"],
    ["b/src/other.ts", "path is not in filesOwned"],
    ["../src/add.ts", "path leaves the workspace"],
    ["b/../../etc/passwd", "path leaves the workspace"],
    ["/etc/passwd", "path is absolute"],
    ["/src/add.ts", "path is absolute"],
    [".git/config", "path is inside .git"],
  ])("%p is rejected: %s", (raw, reason) => {
    expect(rejection(raw).reason).toBe(reason);
  });
});
