import { describe, expect, test } from "bun:test";
import { normaliseOwnedPath } from "./paths.ts";

describe("normaliseOwnedPath", () => {
  test.each([
    ["./src/a.ts", "src/a.ts"],
    ["src\\a.ts", "src/a.ts"],
    ["src\\lib\\b.ts", "src/lib/b.ts"],
    ["src//a.ts", "src/a.ts"],
    ["src/x/../a.ts", "src/a.ts"],
    [".gitignore", ".gitignore"],
    [".github/workflows/ci.yml", ".github/workflows/ci.yml"],
  ])("%p → %p", (raw, expected) => {
    expect(normaliseOwnedPath(raw)).toEqual({ path: expected });
  });

  test.each([
    ["/etc/passwd", "is absolute"],
    ["C:\\Windows\\win.ini", "is absolute"],
    ["C:/x", "is absolute"],
    ["../x", "leaves the workspace"],
    ["..", "leaves the workspace"],
    ["a/../../x", "leaves the workspace"],
    ["..\\x", "leaves the workspace"],
    [".git/config", "is inside .git"],
    [".git", "is inside .git"],
    ["sub/.git/hooks/x", "is inside .git"],
    ["sub\\.git\\hooks\\pre-commit", "is inside .git"],
    ["src/", "is not a file path"],
    [".", "is not a file path"],
    ["a/..", "is not a file path"],
    ["a\0b", "contains a NUL byte"],
  ])("%p → %s", (raw, problem) => {
    expect(normaliseOwnedPath(raw)).toEqual({ problem });
  });

  // On case-insensitive file systems (macOS and Windows defaults) ".GIT/config" is the repository's git config,
  // which git reads on the user's next command (core.pager, core.sshCommand, aliases: code execution).
  test("a differently-cased .git directory is refused too", () => {
    expect(normaliseOwnedPath(".GIT/config")).toEqual({ problem: "is inside .git" });
  });
});
