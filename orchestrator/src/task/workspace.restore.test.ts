import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import {
  chmodSync,
  existsSync,
  lstatSync,
  readlinkSync,
  symlinkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { applyChanges, checkOwnedPaths, restore, snapshot } from "./workspace.ts";

let root: string;

/** Every file and directory under root with bytes and mode, for byte-for-byte comparison. */
function tree(): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      const rel = path.relative(root, full);
      const info = statSync(full);
      if (info.isDirectory()) {
        out[`${rel}/`] = (info.mode & 0o7777).toString(8);
        walk(full);
      } else {
        out[rel] = `${(info.mode & 0o7777).toString(8)} ${readFileSync(full).toString("base64")}`;
      }
    }
  };
  walk(root);
  return out;
}

const BINARYISH = Buffer.from([0x00, 0xff, 0xfe, 0x0a, 0x0d, 0x80, 0x41, 0xc3, 0x28, 0x00]);

beforeEach(() => {
  root = realpathSync(mkdtempSync(path.join(tmpdir(), "smol-snap-")));
  mkdirSync(path.join(root, "src"));
  mkdirSync(path.join(root, "empty"));
  writeFileSync(path.join(root, "src", "a.ts"), "export const a = 1;\n");
  writeFileSync(path.join(root, "run.sh"), "#!/bin/sh\necho hi\n");
  chmodSync(path.join(root, "run.sh"), 0o755);
  writeFileSync(path.join(root, "data.bin"), BINARYISH);
  writeFileSync(path.join(root, "win.txt"), "line one\r\nline two\r\n");
  writeFileSync(path.join(root, "untouched.txt"), "not owned\n");
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe("snapshot / applyChanges / restore", () => {
  test("snapshot records content, mode, missing files and directories to create", async () => {
    const snap = await snapshot(root, ["run.sh", "gen/out/x.ts", "src/new.ts"]);
    expect(snap.files.get("run.sh")).toEqual({ content: Buffer.from("#!/bin/sh\necho hi\n"), mode: 0o755 });
    expect(snap.files.get("gen/out/x.ts")).toBeNull();
    expect(snap.files.get("src/new.ts")).toBeNull();
    expect(snap.createdDirs).toEqual([path.join(root, "gen", "out"), path.join(root, "gen")]);
  });

  test("applyChanges writes, creates nested files, deletes, keeps modes and leaves no temp files", async () => {
    await applyChanges(root, [
      { path: "run.sh", content: "#!/bin/sh\necho bye\n" },
      { path: "gen/out/x.ts", content: "export {};\n" },
      { path: "src/a.ts", content: null },
    ]);
    expect(readFileSync(path.join(root, "run.sh"), "utf8")).toBe("#!/bin/sh\necho bye\n");
    expect(statSync(path.join(root, "run.sh")).mode & 0o777).toBe(0o755);
    expect(readFileSync(path.join(root, "gen/out/x.ts"), "utf8")).toBe("export {};\n");
    expect(existsSync(path.join(root, "src/a.ts"))).toBe(false);
    const all = JSON.stringify(tree());
    expect(all).not.toContain(".smol.tmp");
  });

  test("restore brings every owned file back byte for byte, modes included", async () => {
    const owned = ["src/a.ts", "run.sh", "data.bin", "win.txt"];
    const before = tree();
    const snap = await snapshot(root, owned);
    await applyChanges(root, [
      { path: "src/a.ts", content: "export const a = 2;\n" },
      { path: "run.sh", content: "#!/bin/sh\necho changed\n" },
      { path: "data.bin", content: "now text" },
      { path: "win.txt", content: "line one\nline two\n" },
    ]);
    chmodSync(path.join(root, "run.sh"), 0o644);
    expect(tree()).not.toEqual(before);
    await restore(snap);
    expect(tree()).toEqual(before);
    expect(readFileSync(path.join(root, "data.bin")).equals(BINARYISH)).toBe(true);
    expect(readFileSync(path.join(root, "win.txt"), "utf8")).toBe("line one\r\nline two\r\n");
    expect(statSync(path.join(root, "run.sh")).mode & 0o777).toBe(0o755);
  });

  test("restore recreates deleted files with their mode", async () => {
    const before = tree();
    const snap = await snapshot(root, ["run.sh", "data.bin"]);
    await applyChanges(root, [
      { path: "run.sh", content: null },
      { path: "data.bin", content: null },
    ]);
    expect(existsSync(path.join(root, "run.sh"))).toBe(false);
    await restore(snap);
    expect(tree()).toEqual(before);
  });

  test("restore restores a mode changed behind our back even when content is equal", async () => {
    const before = tree();
    const snap = await snapshot(root, ["run.sh"]);
    chmodSync(path.join(root, "run.sh"), 0o600);
    await restore(snap);
    expect(tree()).toEqual(before);
  });

  test("restore deletes files that did not exist and removes directories the task created", async () => {
    const before = tree();
    const owned = ["gen/out/x.ts", "gen/y.ts", "src/new.ts", "empty/new.ts", "top.ts"];
    const snap = await snapshot(root, owned);
    await applyChanges(
      root,
      owned.map((rel) => ({ path: rel, content: `// ${rel}\n` })),
    );
    for (const rel of owned) expect(existsSync(path.join(root, rel))).toBe(true);
    await restore(snap);
    expect(tree()).toEqual(before);
    expect(existsSync(path.join(root, "gen"))).toBe(false);
    expect(statSync(path.join(root, "empty")).isDirectory()).toBe(true);
    expect(statSync(path.join(root, "src")).isDirectory()).toBe(true);
  });

  test("restore keeps a created directory that now holds files the task does not own", async () => {
    const snap = await snapshot(root, ["gen/x.ts"]);
    await applyChanges(root, [{ path: "gen/x.ts", content: "x\n" }]);
    writeFileSync(path.join(root, "gen", "build-output.txt"), "made by a test run\n");
    await restore(snap);
    expect(existsSync(path.join(root, "gen", "x.ts"))).toBe(false);
    expect(readFileSync(path.join(root, "gen", "build-output.txt"), "utf8")).toBe("made by a test run\n");
  });

  test("restore is idempotent and leaves unowned files alone", async () => {
    const before = tree();
    const snap = await snapshot(root, ["src/a.ts"]);
    await applyChanges(root, [{ path: "src/a.ts", content: "changed\n" }]);
    await restore(snap);
    await restore(snap);
    expect(tree()).toEqual(before);
    expect(readFileSync(path.join(root, "untouched.txt"), "utf8")).toBe("not owned\n");
  });

  // checkOwnedPaths accepts a symlink that stays inside the workspace. applyChanges renames over it (the link
  // becomes a regular file) and restore writes the old bytes back as a regular file: the symlink is gone.
  test("an owned file that is a symlink is refused up front, so restore never has to recreate a link", async () => {
    symlinkSync("src/a.ts", path.join(root, "link.ts"));
    await expect(checkOwnedPaths(root, ["link.ts"])).rejects.toMatchObject({
      name: "TaskInvalid",
      field: "filesOwned.0",
    });
    expect(lstatSync(path.join(root, "link.ts")).isSymbolicLink()).toBe(true);
    expect(readlinkSync(path.join(root, "link.ts"))).toBe("src/a.ts");
  });
});

describe("applyChanges re-checks paths at write time", () => {
  test("a directory swapped for a symlink leading out is refused, and nothing outside is written", async () => {
    const outside = realpathSync(mkdtempSync(path.join(tmpdir(), "smol-outside-")));
    try {
      rmSync(path.join(root, "src"), { recursive: true });
      symlinkSync(outside, path.join(root, "src"));
      await expect(applyChanges(root, [{ path: "src/a.ts", content: "pwned\n" }])).rejects.toMatchObject({
        name: "PatchRejected",
        path: "src/a.ts",
      });
      expect(readdirSync(outside)).toEqual([]);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });
});
