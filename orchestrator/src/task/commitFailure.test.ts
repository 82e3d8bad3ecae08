import { describe, expect, test } from "bun:test";
import { commitFailure, gitReason, shellWord } from "./commitFailure.ts";

// Git's own words (git 2.43), as the commit prints them.
const NO_IDENTITY = `Author identity unknown

*** Please tell me who you are.

Run

  git config --global user.email "you@example.com"
  git config --global user.name "Your Name"

to set your account's default identity.
Omit --global to set the identity only in this repository.

fatal: unable to auto-detect email address (got 'root@vm.(none)')
`;
const CONFIG_ONLY = NO_IDENTITY.replace(/fatal: .*/, "fatal: no email was given and auto-detection is disabled");
const INDEX_LOCK = `fatal: Unable to create '/w/.git/index.lock': File exists.

Another git process seems to be running in this repository, e.g.
an editor opened by 'git commit'. Please make sure all processes
are terminated then try again. If it still fails, a git process
may have crashed in this repository earlier:
remove the file manually to continue.
`;
const GPG = "error: gpg failed to sign the data\nfatal: failed to write commit object\n";
const where = { root: "/w", files: ["src/a.ts"], exitCode: 128 };

describe("gitReason", () => {
  test.each([
    [
      "the first line and git's fatal line",
      NO_IDENTITY,
      "Author identity unknown; fatal: unable to auto-detect email address (got 'root@vm.(none)')",
    ],
    ["a fatal first line alone", INDEX_LOCK, "fatal: Unable to create '/w/.git/index.lock': File exists."],
    ["an error line then a fatal one: the first verdict", GPG, "error: gpg failed to sign the data"],
    ["hints are not reasons", "hint: use --force\nerror: nope\n", "error: nope"],
    ["silence", "\n", "git exited with 128 and said nothing"],
  ])("%s", (_, stderr, expected) => {
    expect(gitReason(stderr, 128)).toBe(expected);
  });
});

describe("commitFailure", () => {
  test.each([
    [
      "no identity: set one",
      NO_IDENTITY,
      /tell git who commits \(git -C \/w config user\.name "Your Name" && git -C \/w config user\.email you@example\.com, or --global\)/,
    ],
    ["identity from config only, and none there", CONFIG_ONLY, /tell git who commits/],
    [
      "a held index.lock: let the other git finish",
      INDEX_LOCK,
      /let the other git process finish \(if none runs, delete the index\.lock git names\)/,
    ],
    ["anything else: git's reason decides", GPG, /^make git accept the commit/],
  ])("%s, then commit the kept change yourself", (_, stderr, fix) => {
    const failure = commitFailure(stderr, where);
    expect(failure.fix).toMatch(fix);
    expect(failure.fix).toEndWith(
      "then commit it yourself: git -C /w add -A -- src/a.ts && git -C /w commit -- src/a.ts",
    );
    expect(failure.reason).toBe(gitReason(stderr, 128));
  });

  test("paths the shell would split or expand are quoted", () => {
    const failure = commitFailure(NO_IDENTITY, {
      root: "/home/me/my project",
      files: ["it's.py", "a b/c.ts"],
      exitCode: 128,
    });
    expect(failure.fix).toContain(`git -C '/home/me/my project' commit -- 'it'\\''s.py' 'a b/c.ts'`);
  });

  test.each([
    ["src/a-b_c.ts", "src/a-b_c.ts"],
    ["a b", "'a b'"],
    ["$HOME", "'$HOME'"],
    ["it's", "'it'\\''s'"],
  ])("shellWord(%p) is %p", (word, quoted) => {
    expect(shellWord(word)).toBe(quoted);
  });
});
