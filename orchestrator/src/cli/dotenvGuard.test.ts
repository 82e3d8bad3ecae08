import { describe, expect, test } from "bun:test";
import { DOTENV_FILES, NO_BUNFIG, NO_DOTENV, parseEnviron, relaunchFlags } from "./dotenvGuard.ts";

describe("relaunchFlags", () => {
  test.each([
    ["nothing in the directory", [], [], null],
    ["a .env, plain bun: start again without it", [], [".env"], [NO_DOTENV, NO_BUNFIG]],
    ["a .env.local", [], [".env.local"], [NO_DOTENV, NO_BUNFIG]],
    ["a .env.production.local", [], [".env.production.local"], [NO_DOTENV, NO_BUNFIG]],
    ["a .env with --watch: other flags do not count", ["--watch"], [".env"], [NO_DOTENV, NO_BUNFIG]],
    ["a .env, started with --no-env-file", [NO_DOTENV], [".env"], null],
    ["a .env, started with the shebang's flags", [NO_DOTENV, NO_BUNFIG], [".env", "bunfig.toml"], null],
    ["a .env, an explicit --env-file=FILE", ["--env-file=prod.env"], [".env"], null],
    ["a .env, an explicit --env-file FILE", ["--env-file", "prod.env"], [".env"], null],
    ["a bunfig.toml, plain bun", [], ["bunfig.toml"], [NO_DOTENV, NO_BUNFIG]],
    ["a bunfig.toml, started with --no-env-file only", [NO_DOTENV], ["bunfig.toml"], [NO_BUNFIG]],
    ["a bunfig.toml, an explicit --config", ["--config", "my.toml"], ["bunfig.toml"], null],
    ["a bunfig.toml, an explicit -c", ["-c", "my.toml"], ["bunfig.toml"], null],
    ["a .env and an explicit --config: the user's config is kept", ["--config=my.toml"], [".env"], [NO_DOTENV]],
    [
      "a .env and an explicit --env-file: nothing to do for the bunfig that is not there",
      ["--env-file=x"],
      [".env"],
      null,
    ],
  ] as const)("%s", (_, execArgv, present, expected) => {
    expect(relaunchFlags([...execArgv], [...present])).toEqual(expected === null ? null : [...expected]);
  });

  test("every file Bun loads on its own starts it again", () => {
    for (const name of DOTENV_FILES) expect(relaunchFlags([], [name])).not.toBeNull();
  });

  test("a child started with the flags it returns is never started again", () => {
    for (const present of [[".env"], ["bunfig.toml"], [".env", "bunfig.toml"]]) {
      const flags = relaunchFlags([], present)!;
      expect(relaunchFlags(flags, present)).toBeNull();
    }
  });
});

describe("parseEnviron", () => {
  test.each([
    ["an empty block", "", {}],
    ["entries ended by NUL", "PATH=/usr/bin:/bin\0HOME=/root\0", { PATH: "/usr/bin:/bin", HOME: "/root" }],
    ["a value holding =", "OPTS=a=b=c\0", { OPTS: "a=b=c" }],
    ["an empty value", "EMPTY=\0", { EMPTY: "" }],
    ["a value with a newline", "MULTI=one\ntwo\0", { MULTI: "one\ntwo" }],
    ["an entry without = or without a name is skipped", "junk\0=nameless\0OK=1\0", { OK: "1" }],
    ["a last entry without NUL", "A=1\0B=2", { A: "1", B: "2" }],
  ] as const)("%s", (_, block, expected) => {
    expect(parseEnviron(block)).toEqual({ ...expected });
  });
});
