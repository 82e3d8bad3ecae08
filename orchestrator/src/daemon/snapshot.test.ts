import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { snapshot } from "../task/workspace.ts";
import { saveSnapshot, undoLanding } from "./snapshot.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

test("undoLanding puts back only what still holds what the landing wrote; a file edited since is left alone", async () => {
  const root = mkdtempSync(path.join(tmpdir(), "smol-undo-"));
  dirs.push(root);
  for (const name of ["a.txt", "b.txt", "c.txt"]) writeFileSync(path.join(root, name), `${name} before\n`);
  const before = await snapshot(root, ["a.txt", "b.txt", "c.txt", "new.txt"]);
  const writing = [
    { path: "a.txt", content: "a landed\n" },
    { path: "b.txt", content: "b landed\n" },
    { path: "c.txt", content: "c landed\n" },
    { path: "new.txt", content: "made\n" },
  ];
  const saved = saveSnapshot(before, writing);
  // Killed part-way: a and new were written, b was then edited by the user, c was never reached.
  writeFileSync(path.join(root, "a.txt"), "a landed\n");
  writeFileSync(path.join(root, "new.txt"), "made\n");
  writeFileSync(path.join(root, "b.txt"), "the user's\n");
  expect(await undoLanding(root, saved)).toBe(2);
  expect(readFileSync(path.join(root, "a.txt"), "utf8")).toBe("a.txt before\n");
  expect(readFileSync(path.join(root, "b.txt"), "utf8")).toBe("the user's\n");
  expect(readFileSync(path.join(root, "c.txt"), "utf8")).toBe("c.txt before\n");
  expect(existsSync(path.join(root, "new.txt"))).toBe(false);
});
