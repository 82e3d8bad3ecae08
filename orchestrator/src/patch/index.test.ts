import { describe, expect, test } from "bun:test";
import { createTwoFilesPatch, parsePatch } from "diff";
import { PatchRejected } from "../errors.ts";
import { planPatch } from "./index.ts";

const ADD = "export function add(a: number, b: number): number {\n  return a - b;\n}\n";
const ADD_FIXED = ADD.replace("a - b", "a + b");
const SUB = "export const sub = (a: number, b: number) => a + b;\n";
const SUB_FIXED = "export const sub = (a: number, b: number) => a - b;\n";

const patchOf = (path: string, before: string | null, after: string | null) =>
  createTwoFilesPatch(
    before === null ? "/dev/null" : `a/${path}`,
    after === null ? "/dev/null" : `b/${path}`,
    before ?? "",
    after ?? "",
  );
const files = (entries: Record<string, string | null>) => new Map(Object.entries(entries));
const plan = (reply: string, owned: Record<string, string | null> = { "src/add.ts": ADD }, maxChangedLines = 300) =>
  planPatch({ reply, files: files(owned), maxChangedLines });

function rejected(reply: string, owned?: Record<string, string | null>, maxChangedLines?: number): PatchRejected {
  try {
    plan(reply, owned, maxChangedLines);
  } catch (error) {
    expect(error).toBeInstanceOf(PatchRejected);
    return error as PatchRejected;
  }
  throw new Error("expected PatchRejected");
}

describe("planPatch: accepted", () => {
  test("a clean diff applies", () => {
    const result = plan(patchOf("src/add.ts", ADD, ADD_FIXED));
    expect(result.changes).toEqual([{ path: "src/add.ts", content: ADD_FIXED }]);
    expect(result.linesChanged).toBe(2);
  });

  test("fenced diff with prose before and after", () => {
    const reply = `The operator is wrong.\n\n\`\`\`diff\n${patchOf("src/add.ts", ADD, ADD_FIXED)}\`\`\`\n\nNow add() adds.`;
    expect(plan(reply).changes).toEqual([{ path: "src/add.ts", content: ADD_FIXED }]);
  });

  test("unfenced diff followed by prose", () => {
    const reply = `${patchOf("src/add.ts", ADD, ADD_FIXED)}\nThis flips the operator; tests should pass now.`;
    expect(plan(reply).changes).toEqual([{ path: "src/add.ts", content: ADD_FIXED }]);
  });

  test("multi-file patch", () => {
    const reply = patchOf("src/add.ts", ADD, ADD_FIXED) + patchOf("src/sub.ts", SUB, SUB_FIXED);
    const result = plan(reply, { "src/add.ts": ADD, "src/sub.ts": SUB });
    expect(result.changes).toEqual([
      { path: "src/add.ts", content: ADD_FIXED },
      { path: "src/sub.ts", content: SUB_FIXED },
    ]);
    expect(result.linesChanged).toBe(4);
  });

  test("creates an owned file that does not exist", () => {
    const content = "import { add } from './add';\ntest('adds', () => expect(add(2, 3)).toBe(5));\n";
    const result = plan(patchOf("src/add.test.ts", null, content), { "src/add.ts": ADD, "src/add.test.ts": null });
    expect(result.changes).toEqual([{ path: "src/add.test.ts", content }]);
    expect(result.diff).toContain("--- /dev/null");
    expect(result.linesChanged).toBe(2);
  });

  test("deletes a file with +++ /dev/null", () => {
    const result = plan(patchOf("src/add.ts", ADD, null));
    expect(result.changes).toEqual([{ path: "src/add.ts", content: null }]);
    expect(result.diff).toContain("+++ /dev/null");
    expect(result.linesChanged).toBe(3);
  });

  test("a/ b/ prefixes are stripped, unprefixed names work too", () => {
    const prefixed = plan(patchOf("src/add.ts", ADD, ADD_FIXED));
    const bare = plan(createTwoFilesPatch("src/add.ts", "src/add.ts", ADD, ADD_FIXED));
    expect(prefixed.changes[0]!.path).toBe("src/add.ts");
    expect(bare.changes[0]!.path).toBe("src/add.ts");
  });

  test("a git-style diff with index line and matching modes applies", () => {
    const body = patchOf("src/add.ts", ADD, ADD_FIXED).replace(/^=+\n/, "");
    const reply = `diff --git a/src/add.ts b/src/add.ts\nindex 3b18e51..a9c4f2d 100644\n${body}`;
    expect(plan(reply).changes).toEqual([{ path: "src/add.ts", content: ADD_FIXED }]);
  });

  test("the returned diff is a unified diff of the applied change and linesChanged counts +/- lines", () => {
    const before = "a\nb\nc\nd\n";
    const after = "a\nB\nc\nd\ne\n";
    const result = plan(patchOf("x.txt", before, after), { "x.txt": before });
    const [parsed] = parsePatch(result.diff);
    expect(parsed!.oldFileName).toBe("a/x.txt");
    expect(parsed!.newFileName).toBe("b/x.txt");
    const changed = parsed!.hunks.flatMap((hunk) => hunk.lines).filter((line) => /^[+-]/.test(line));
    expect(changed).toEqual(["-b", "+B", "+e"]);
    expect(result.linesChanged).toBe(3);
  });

  test("exactly maxChangedLines is allowed", () => {
    expect(plan(patchOf("src/add.ts", ADD, ADD_FIXED), undefined, 2).linesChanged).toBe(2);
  });
});

describe("planPatch: rejected", () => {
  test("no diff in the reply", () => {
    expect(rejected("I think the bug is in add(), it subtracts.").reason).toStartWith("no edit found in the reply");
  });

  test("a whole-file reply that also rewrites the tests: the owned file's edit applies, the tests' is left out", () => {
    const reply =
      "two_fer.py\n```python\ndef two_fer(name='you'):\n    return name\n```\n\ntwo_fer_test.py\n```python\nassert True\n```\n";
    const result = planPatch({
      reply,
      files: new Map([["two_fer.py", "def two_fer(name):\n    pass\n"]]),
      maxChangedLines: 300,
      asked: "whole",
    });
    expect(result.changes).toEqual([{ path: "two_fer.py", content: "def two_fer(name='you'):\n    return name\n" }]);
    expect(result.ignored).toEqual(["two_fer_test.py"]);
  });

  test("an unnamed block beside a named block of the tests: the unnamed one is the owned file, the tests' left out", () => {
    const reply =
      "```python\ndef two_fer(name):\n    return name\n```\n\ntwo_fer_test.py\n```python\nassert True\n```\n";
    const result = planPatch({
      reply,
      files: new Map([["two_fer.py", "def two_fer(name):\n    pass\n"]]),
      maxChangedLines: 300,
      asked: "whole",
    });
    expect(result.changes).toEqual([{ path: "two_fer.py", content: "def two_fer(name):\n    return name\n" }]);
    expect(result.ignored).toEqual(["two_fer_test.py"]);
  });

  test("a reply that edits only files it does not own is still refused, and one that leaves the workspace always", () => {
    const onlyTests = "two_fer_test.py\n```python\nassert True\n```\n";
    expect(() =>
      planPatch({ reply: onlyTests, files: new Map([["two_fer.py", "x\n"]]), maxChangedLines: 300, asked: "whole" }),
    ).toThrow("path is not in filesOwned");
    const escape = "two_fer.py\n```python\ny\n```\n\n../outside.py\n```python\nz\n```\n";
    expect(() =>
      planPatch({ reply: escape, files: new Map([["two_fer.py", "x\n"]]), maxChangedLines: 300, asked: "whole" }),
    ).toThrow("path leaves the workspace");
  });

  test("a lone listing under another name that defines the owned file's functions again is the owned file", () => {
    const stub = "import math\n\n\ndef area(r):\n    pass\n";
    const misnamed = "circle_area.py\n```\ndef area(r):\n    return math.pi * r * r\n```\n";
    const owned = new Map([["circle.py", stub]]);
    expect(planPatch({ reply: misnamed, files: owned, maxChangedLines: 300, asked: "whole" }).changes).toEqual([
      { path: "circle.py", content: "import math\n\ndef area(r):\n    return math.pi * r * r\n" },
    ]);
    // The tests rewritten (no definition of the owned file's), or a listing beside the owned file's: not this reading.
    const tests = "circle_test.py\n```\ndef test_area():\n    assert area(1) > 3\n```\n";
    expect(() => planPatch({ reply: tests, files: owned, maxChangedLines: 300, asked: "whole" })).toThrow(
      "path is not in filesOwned",
    );
    // A test file that carries its own copy of the function is still the test file.
    const testWithCopy = "circle_test.py\n```\nfrom circle import area\n\ndef area(r):\n    return 3\n```\n";
    const copyImporting = "geometry.py\n```\nfrom circle import area\n\ndef area(r):\n    return 3\n```\n";
    for (const reply of [testWithCopy, copyImporting])
      expect(() => planPatch({ reply, files: owned, maxChangedLines: 300, asked: "whole" })).toThrow(
        "path is not in filesOwned",
      );
    const both = `${misnamed}\ncircle.py\n\`\`\`\ndef area(r):\n    return 3\n\`\`\`\n`;
    expect(planPatch({ reply: both, files: owned, maxChangedLines: 300, asked: "whole" }).ignored).toEqual([
      "circle_area.py",
    ]);
  });

  test("a whole file written back with only its blank lines or trailing spaces changed proposes no change", () => {
    const file = "def f():\n\n    return 1\n";
    const echo = "f.py\n```\ndef f():\n    return 1   \n```\n";
    const error = (() => {
      try {
        planPatch({ reply: echo, files: new Map([["f.py", file]]), maxChangedLines: 300, asked: "whole" });
      } catch (caught) {
        return caught as PatchRejected;
      }
      throw new Error("not refused");
    })();
    expect(error).toMatchObject({ code: "unchanged", reason: expect.stringContaining("nothing but blank lines") });
  });

  test("path not owned", () => {
    const error = rejected(patchOf("src/sub.ts", SUB, SUB_FIXED), { "src/add.ts": ADD });
    expect(error.reason).toBe("path is not in filesOwned");
    expect(error.path).toBe("src/sub.ts");
  });

  test("../ path", () => {
    const reply = createTwoFilesPatch("../outside.ts", "../outside.ts", "x\n", "y\n");
    expect(rejected(reply, { "outside.ts": "x\n" }).reason).toBe("path leaves the workspace");
  });

  test("absolute path", () => {
    const reply = createTwoFilesPatch("/etc/hosts", "/etc/hosts", "127.0.0.1 localhost\n", "6.6.6.6 localhost\n");
    expect(rejected(reply, { "etc/hosts": "127.0.0.1 localhost\n" }).reason).toBe("path is absolute");
  });

  test("more changed lines than maxChangedLines", () => {
    const big = Array.from({ length: 20 }, (_, i) => `line ${i}`).join("\n") + "\n";
    const error = rejected(patchOf("big.txt", big, big.toUpperCase()), { "big.txt": big }, 39);
    expect(error.reason).toContain("changes 40 lines, more than the limit of 39");
  });

  test("hunk that does not match", () => {
    const stale = patchOf(
      "src/add.ts",
      "export const add = (a, b) => a - b;\n",
      "export const add = (a, b) => a + b;\n",
    );
    const error = rejected(stale);
    expect(error.reason).toContain("hunk 1 of src/add.ts was not found");
    expect(error.path).toBe("src/add.ts");
  });

  test("creating a file that exists", () => {
    expect(rejected(patchOf("src/add.ts", null, "new\n")).reason).toStartWith(
      "the patch creates a file that already exists",
    );
  });

  test("editing a file that does not exist", () => {
    expect(rejected(patchOf("src/new.ts", "x\n", "y\n"), { "src/new.ts": null }).reason).toStartWith(
      "the patch edits a file that does not exist",
    );
  });

  test("mode change via old mode / new mode git headers", () => {
    const body = patchOf("run.sh", "echo hi\n", "echo hello\n").replace(/^=+\n/, "");
    const reply = `diff --git a/run.sh b/run.sh\nold mode 100644\nnew mode 100755\n${body}`;
    const error = rejected(reply, { "run.sh": "echo hi\n" });
    expect(error.reason).toBe("changing file modes is not allowed");
    expect(error.path).toBe("run.sh");
  });

  test("creating an executable file", () => {
    const body = patchOf("run.sh", null, "echo hi\n").replace(/^=+\n/, "");
    const reply = `diff --git a/run.sh b/run.sh\nnew file mode 100755\n${body}`;
    expect(rejected(reply, { "run.sh": null }).reason).toBe("changing file modes is not allowed");
  });

  test("a patch that changes nothing", () => {
    const reply = "--- a/src/add.ts\n+++ b/src/add.ts\n@@ -2,1 +2,1 @@\n-  return a - b;\n+  return a - b;\n";
    expect(rejected(reply).reason).toBe("the patch changes nothing");
  });

  test("a deletion that leaves content behind", () => {
    const reply = "--- a/src/add.ts\n+++ /dev/null\n@@ -2,1 +0,0 @@\n-  return a - b;\n";
    expect(rejected(reply).reason).toBe("the deletion does not remove the whole file");
  });

  test("renames are refused", () => {
    const reply = createTwoFilesPatch("a/src/add.ts", "b/src/sum.ts", ADD, ADD_FIXED);
    expect(rejected(reply, { "src/add.ts": ADD, "src/sum.ts": null }).reason).toContain("renames are not supported");
  });

  test("a hunk whose removed lines are not in the file is not found", () => {
    const reply =
      "--- a/src/add.ts\n+++ b/src/add.ts\n@@ -1,3 +1,3 @@\n-  return a - b;\n+  return a + b;\n-extra\n-extra2\n";
    expect(rejected(reply).reason).toContain("hunk 1 of src/add.ts was not found");
  });
});
