import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { GitFailed } from "../errors.ts";
import { git, gitEnv } from "./git.ts";

describe("gitEnv", () => {
  test.each([
    [
      "ordinary variables are kept; git never prompts",
      { PATH: "/bin", HOME: "/home/u" },
      {},
      { PATH: "/bin", HOME: "/home/u", GIT_TERMINAL_PROMPT: "0" },
    ],
    [
      "secrets go",
      { PATH: "/bin", LITELLM_API_KEY: "sk-1234567890", GITHUB_TOKEN: "ghp_x" },
      {},
      { PATH: "/bin", GIT_TERMINAL_PROMPT: "0" },
    ],
    [
      "the caller's GIT_* variables go, whatever their case",
      {
        PATH: "/bin",
        GIT_DIR: "/elsewhere/.git",
        GIT_CONFIG_PARAMETERS: "'core.hooksPath'='/evil'",
        git_index_file: "/tmp/i",
      },
      {},
      { PATH: "/bin", GIT_TERMINAL_PROMPT: "0" },
    ],
    [
      "extra settings are added last",
      { PATH: "/bin", GIT_CONFIG_GLOBAL: "/home/u/.gitconfig" },
      { GIT_CONFIG_GLOBAL: "/dev/null" },
      { PATH: "/bin", GIT_TERMINAL_PROMPT: "0", GIT_CONFIG_GLOBAL: "/dev/null" },
    ],
    ["unset variables are dropped", { PATH: "/bin", GONE: undefined }, {}, { PATH: "/bin", GIT_TERMINAL_PROMPT: "0" }],
  ] as const)("%s", (_, env, extra, expected) => {
    expect(gitEnv(env, extra)).toEqual({ ...expected });
  });
});

describe("git", () => {
  const dirs: string[] = [];
  const saved = { PATH: process.env.PATH, key: process.env.SMOL_GIT_TEST_API_KEY };
  afterEach(() => {
    process.env.PATH = saved.PATH;
    if (saved.key === undefined) delete process.env.SMOL_GIT_TEST_API_KEY;
    else process.env.SMOL_GIT_TEST_API_KEY = saved.key;
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  test("the git process gets no secret from this process's environment, and the safe config first", async () => {
    const bin = mkdtempSync(path.join(tmpdir(), "smol-git-bin-"));
    dirs.push(bin);
    const seen = path.join(bin, "seen");
    const realGit = Bun.which("git")!;
    // A git in front of the real one on PATH: records its arguments and environment, then runs the real git.
    writeFileSync(
      path.join(bin, "git"),
      `#!/bin/sh\nprintf '%s\\n' "$@" > '${seen}.args'\nenv > '${seen}.env'\nexec '${realGit}' "$@"\n`,
      { mode: 0o755 },
    );
    process.env.PATH = `${bin}:${saved.PATH}`;
    process.env.SMOL_GIT_TEST_API_KEY = "sk-git-canary-1234567890";
    expect(await git(bin, ["--version"])).toStartWith("git version");
    const env = readFileSync(`${seen}.env`, "utf8");
    expect(env).not.toContain("sk-git-canary-1234567890");
    expect(env).not.toContain("SMOL_GIT_TEST_API_KEY");
    expect(env).toContain("GIT_TERMINAL_PROMPT=0");
    expect(readFileSync(`${seen}.args`, "utf8").split("\n").slice(0, 5)).toEqual([
      "-c",
      "core.hooksPath=/dev/null",
      "-c",
      "core.fsmonitor=false",
      "--version",
    ]);
  });

  test("a failing git call throws with git's own message", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "smol-git-"));
    dirs.push(dir);
    const failure = await git(dir, ["rev-parse", "HEAD"]).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(GitFailed);
    expect((failure as GitFailed).message).toMatch(/git rev-parse HEAD failed .*not a git repository/);
    expect(failure).toMatchObject({ args: ["rev-parse", "HEAD"], cwd: dir, exitCode: 128 });
    expect((failure as GitFailed).stderr).toContain("not a git repository");
  });
});
