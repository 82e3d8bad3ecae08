// A workspace's repository names programs (hooks, fsmonitor); none of them may run when smol-coder commits,
// snapshots or restores. Each case first proves, with plain git, that what it plants does run.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { CommitFailed } from "../errors.ts";
import { applyChanges, commitOwned, restore, snapshot } from "./workspace.ts";

const HOOKS = [
  "pre-commit",
  "prepare-commit-msg",
  "commit-msg",
  "post-commit",
  "post-index-change",
  "reference-transaction",
];
let root: string;
let markers: string;

function plainGit(...args: string[]): string {
  const result = Bun.spawnSync(["git", ...args], { cwd: root, stdout: "pipe", stderr: "pipe" });
  if (result.exitCode !== 0) throw new Error(`git ${args.join(" ")}: ${result.stderr.toString()}`);
  return result.stdout.toString();
}

/** An executable that leaves a file named after it in the markers directory, then succeeds. */
function plant(file: string, name: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `#!/bin/sh\ntouch '${path.join(markers, name)}'\nexit 0\n`, { mode: 0o755 });
}

function ran(): string[] {
  return readdirSync(markers).sort();
}

beforeEach(() => {
  root = realpathSync(mkdtempSync(path.join(tmpdir(), "smol-commit-")));
  markers = realpathSync(mkdtempSync(path.join(tmpdir(), "smol-markers-")));
  writeFileSync(path.join(root, "a.txt"), "one\n");
  plainGit("init", "-q", "-b", "main");
  plainGit("config", "user.email", "test@example.com");
  plainGit("config", "user.name", "Test");
  plainGit("add", "-A");
  plainGit("commit", "-q", "-m", "initial");
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
  rmSync(markers, { recursive: true, force: true });
});

/** Plain git runs what was planted: the case is not empty. Then the markers are cleared. */
function expectPlainGitRuns(expected: string[]): void {
  writeFileSync(path.join(root, "a.txt"), "control\n");
  plainGit("add", "a.txt");
  plainGit("commit", "-q", "-m", "control");
  expect(ran()).toEqual(expect.arrayContaining(expected));
  for (const name of ran()) rmSync(path.join(markers, name));
}

async function commitSnapshotRestore(): Promise<string> {
  const snap = await snapshot(root, ["a.txt", "b.txt"]);
  await applyChanges(root, [
    { path: "a.txt", content: "two\n" },
    { path: "b.txt", content: "new\n" },
  ]);
  const hash = await commitOwned(root, ["a.txt", "b.txt"], "smol: change a, create b");
  await applyChanges(root, [{ path: "a.txt", content: "three\n" }]);
  await restore(snap);
  return hash;
}

describe("commitOwned, snapshot and restore run nothing the repository names", () => {
  test("hooks in .git/hooks", async () => {
    for (const hook of HOOKS) plant(path.join(root, ".git", "hooks", hook), hook);
    expectPlainGitRuns(["pre-commit", "post-commit", "reference-transaction"]);
    const hash = await commitSnapshotRestore();
    expect(ran()).toEqual([]);
    expect(plainGit("rev-parse", "HEAD").trim()).toBe(hash);
    expect(plainGit("show", "--name-only", "--format=%s", "HEAD").trim().split("\n")).toEqual([
      "smol: change a, create b",
      "",
      "a.txt",
      "b.txt",
    ]);
  });

  test("core.hooksPath and core.fsmonitor set in .git/config", async () => {
    const hooksDir = path.join(root, "tools", "hooks");
    for (const hook of HOOKS) plant(path.join(hooksDir, hook), hook);
    plant(path.join(root, "tools", "fsmonitor.sh"), "fsmonitor");
    plainGit("config", "core.hooksPath", hooksDir);
    plainGit("config", "core.fsmonitor", path.join(root, "tools", "fsmonitor.sh"));
    plainGit("add", "tools");
    plainGit("commit", "-q", "-m", "tools");
    expectPlainGitRuns(["fsmonitor", "pre-commit", "post-commit"]);
    await commitSnapshotRestore();
    expect(ran()).toEqual([]);
    expect(plainGit("log", "-1", "--format=%s").trim()).toBe("smol: change a, create b");
  });

  test("only the owned files are committed; others stay staged or untouched as they were", async () => {
    writeFileSync(path.join(root, "other.txt"), "not owned\n");
    await applyChanges(root, [{ path: "a.txt", content: "two\n" }]);
    await commitOwned(root, ["a.txt"], "smol: a");
    expect(plainGit("show", "--name-only", "--format=", "HEAD").trim()).toBe("a.txt");
    expect(plainGit("status", "--porcelain").trim()).toBe("?? other.txt");
    expect(existsSync(path.join(root, "other.txt"))).toBe(true);
  });
});

describe("a commit git refuses", () => {
  const saved = { HOME: process.env.HOME, XDG_CONFIG_HOME: process.env.XDG_CONFIG_HOME, EMAIL: process.env.EMAIL };
  afterEach(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  test("no identity: CommitFailed with git's reason and the fix; the change stays, HEAD does not move", async () => {
    // No identity anywhere git looks: an empty home, no repository identity, and no guessing from the host name.
    const home = mkdtempSync(path.join(tmpdir(), "smol-home-"));
    process.env.HOME = home;
    process.env.XDG_CONFIG_HOME = home;
    delete process.env.EMAIL;
    plainGit("config", "--unset", "user.email");
    plainGit("config", "--unset", "user.name");
    plainGit("config", "user.useConfigOnly", "true");
    const head = plainGit("rev-parse", "HEAD").trim();
    await applyChanges(root, [{ path: "a.txt", content: "two\n" }]);
    const refused = await commitOwned(root, ["a.txt"], "smol: a").catch((error: unknown) => error);
    rmSync(home, { recursive: true, force: true });
    expect(refused).toBeInstanceOf(CommitFailed);
    const { reason, fix } = refused as CommitFailed;
    expect(reason).toStartWith("Author identity unknown");
    expect(fix).toContain(`git -C ${root} config user.email`);
    expect(fix).toContain(`git -C ${root} commit -- a.txt`);
    expect(plainGit("rev-parse", "HEAD").trim()).toBe(head);
    expect(readFileSync(path.join(root, "a.txt"), "utf8")).toBe("two\n");
  });
});
