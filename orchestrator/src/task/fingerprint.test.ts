import { afterEach, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { workspaceFingerprint } from "./fingerprint.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

test("the fingerprint changes with any file's content, a new file or a removed one, and not with git's data or node_modules", async () => {
  const root = mkdtempSync(path.join(tmpdir(), "smol-fingerprint-"));
  dirs.push(root);
  mkdirSync(path.join(root, "src"));
  mkdirSync(path.join(root, "node_modules", "pkg"), { recursive: true });
  mkdirSync(path.join(root, ".git"));
  writeFileSync(path.join(root, "src", "a.ts"), "one\n");
  const first = await workspaceFingerprint(root);
  expect(await workspaceFingerprint(root)).toBe(first);
  writeFileSync(path.join(root, "node_modules", "pkg", "index.js"), "x");
  writeFileSync(path.join(root, ".git", "index"), "x");
  expect(await workspaceFingerprint(root)).toBe(first);
  writeFileSync(path.join(root, "src", "a.ts"), "two\n");
  utimesSync(path.join(root, "src", "a.ts"), new Date(1_000_000), new Date(1_000_000));
  const changed = await workspaceFingerprint(root);
  writeFileSync(path.join(root, "src", "b.ts"), "");
  const added = await workspaceFingerprint(root);
  rmSync(path.join(root, "src", "b.ts"));
  const removed = await workspaceFingerprint(root);
  expect(new Set([first, changed, added, removed]).size).toBe(4);
});
