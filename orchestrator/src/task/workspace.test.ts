import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { TaskInvalid } from "../errors.ts";
import { checkOwnedPaths } from "./workspace.ts";

describe("checkOwnedPaths", () => {
  let base: string;
  let root: string;

  beforeEach(() => {
    base = realpathSync(mkdtempSync(path.join(tmpdir(), "smol-ws-")));
    root = path.join(base, "ws");
    mkdirSync(path.join(root, "src"), { recursive: true });
    writeFileSync(path.join(root, "src", "a.ts"), "export const a = 1;\n");
  });
  afterEach(() => rmSync(base, { recursive: true, force: true }));

  async function refused(owned: string[]): Promise<TaskInvalid> {
    try {
      await checkOwnedPaths(root, owned);
    } catch (error) {
      expect(error).toBeInstanceOf(TaskInvalid);
      return error as TaskInvalid;
    }
    throw new Error(`expected TaskInvalid for ${owned.join(", ")}`);
  }

  test("existing and not-yet-existing nested files are accepted and normalised", async () => {
    expect(await checkOwnedPaths(root, ["./src/a.ts", "src/new/deep/b.ts", "README.md"])).toEqual([
      "src/a.ts",
      "src/new/deep/b.ts",
      "README.md",
    ]);
  });

  test("duplicates collapse", async () => {
    expect(await checkOwnedPaths(root, ["src/a.ts", "./src/a.ts", "src//a.ts", "src\\a.ts"])).toEqual(["src/a.ts"]);
  });

  test("a symlink to a file outside the workspace is rejected", async () => {
    writeFileSync(path.join(base, "secret.txt"), "top secret\n");
    symlinkSync(path.join(base, "secret.txt"), path.join(root, "notes.txt"));
    const error = await refused(["src/a.ts", "notes.txt"]);
    expect(error.field).toBe("filesOwned.1");
    expect(error.problem).toContain("outside the workspace through a symlink");
  });

  test("a not-yet-existing file under a symlinked directory outside is rejected", async () => {
    mkdirSync(path.join(base, "elsewhere"));
    symlinkSync(path.join(base, "elsewhere"), path.join(root, "out"));
    expect((await refused(["out/new/file.ts"])).problem).toContain("symlink");
  });

  test("a sibling directory sharing the workspace prefix is outside", async () => {
    mkdirSync(path.join(base, "ws-evil"));
    writeFileSync(path.join(base, "ws-evil", "x.ts"), "evil\n");
    symlinkSync("../ws-evil", path.join(root, "lib"));
    expect((await refused(["lib/x.ts"])).field).toBe("filesOwned.0");
    expect((await refused(["lib/y.ts"])).problem).toContain("symlink");
  });

  test("a dangling symlink is rejected", async () => {
    symlinkSync(path.join(base, "nowhere"), path.join(root, "dangling.ts"));
    expect((await refused(["dangling.ts"])).problem).toContain("symlink");
  });

  test("a symlink that stays inside the workspace is accepted", async () => {
    symlinkSync("src", path.join(root, "alias"));
    expect(await checkOwnedPaths(root, ["alias/a.ts"])).toEqual(["alias/a.ts"]);
  });

  test("a directory is rejected", async () => {
    const error = await refused(["src/a.ts", "src"]);
    expect(error.field).toBe("filesOwned.1");
    expect(error.problem).toContain("is a directory");
  });

  // "src/a.ts/x.ts" can never be written (a.ts is a file); today it passes the check and applyChanges later
  // fails with ENOTDIR, which the executor does not treat as a patch rejection.
  test("a path that goes through an existing file is rejected", async () => {
    const error = await refused(["src/a.ts/x.ts"]);
    expect(error.field).toBe("filesOwned.0");
  });

  test.each([["../outside.ts"], ["/etc/passwd"], [".git/config"], ["src/"]])(
    "%p is rejected before touching the disk",
    async (raw) => {
      const error = await refused([raw]);
      expect(error.field).toBe("filesOwned.0");
      expect(error.problem).toStartWith(`"${raw}" `);
    },
  );
});
