// A private edit seen only inside verification: the real sandbox's overlay with the candidate on top, the
// workspace untouched. Deletions become overlay whiteouts, which the next command's mount sees too.
import { afterEach, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { buildConfig } from "../config/config.ts";
import { openSandbox } from "../sandbox/sandbox.ts";
import { runCheck } from "./check.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

test("the commands see the candidate (changed, created, deleted files); the workspace keeps its own", async () => {
  const config = buildConfig([]);
  const sandbox = await openSandbox(config.sandbox, { unsafe: false });
  const root = mkdtempSync(path.join(tmpdir(), "smol-candidate-"));
  dirs.push(root);
  writeFileSync(path.join(root, "a.txt"), "old\n");
  writeFileSync(path.join(root, "doomed.txt"), "still here\n");
  const candidate = new Map<string, string | null>([
    ["a.txt", "new\n"],
    ["doomed.txt", null],
    ["sub/made.txt", "made\n"],
  ]);
  const commands = [
    "grep -qx new a.txt",
    "test ! -e doomed.txt",
    "grep -qx made sub/made.txt",
    "test ! -e doomed.txt && grep -qx new a.txt",
  ];
  const result = await runCheck(
    { kind: "commands", commands },
    root,
    { verify: config.verify, humaneval: config.humaneval, sandbox },
    ["a.txt", "doomed.txt", "sub/made.txt"],
    candidate,
  );
  expect(result.errors).toEqual([]);
  expect(result.passed).toBe(true);
  expect(readFileSync(path.join(root, "a.txt"), "utf8")).toBe("old\n");
  expect(readFileSync(path.join(root, "doomed.txt"), "utf8")).toBe("still here\n");
  expect(() => readFileSync(path.join(root, "sub", "made.txt"))).toThrow();
  // And without the candidate, the same commands see the workspace.
  expect(
    (
      await runCheck(
        { kind: "commands", commands: ["grep -qx old a.txt", "test -e doomed.txt"] },
        root,
        { verify: config.verify, humaneval: config.humaneval, sandbox },
        [],
      )
    ).passed,
  ).toBe(true);
}, 30_000);

test("a deletion is made once, before any command: code that swaps a directory for a link cannot aim it outside", async () => {
  const config = buildConfig([]);
  const sandbox = await openSandbox(config.sandbox, { unsafe: false });
  const root = mkdtempSync(path.join(tmpdir(), "smol-candidate-"));
  const outside = mkdtempSync(path.join(tmpdir(), "smol-outside-"));
  dirs.push(root, outside);
  writeFileSync(path.join(outside, "gone.txt"), "not yours\n");
  mkdirSync(path.join(root, "sub"));
  writeFileSync(path.join(root, "sub", "gone.txt"), "owned\n");
  const candidate = new Map<string, string | null>([["sub/gone.txt", null]]);
  // The first command turns sub into a link to the outside directory; the second would follow it, were the
  // deletion made again at its mount.
  const commands = ["test ! -e sub/gone.txt", `rm -rf sub && ln -s ${outside} sub`, "true"];
  const result = await runCheck(
    { kind: "commands", commands },
    root,
    { verify: config.verify, humaneval: config.humaneval, sandbox },
    ["sub/gone.txt"],
    candidate,
  );
  expect(result.errors).toEqual([]);
  expect(readFileSync(path.join(outside, "gone.txt"), "utf8")).toBe("not yours\n");
  expect(readFileSync(path.join(root, "sub", "gone.txt"), "utf8")).toBe("owned\n");
}, 30_000);
