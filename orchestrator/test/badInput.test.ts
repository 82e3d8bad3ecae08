// Every kind of bad input: one clear stderr line naming the problem and the fix, exit 2, workspace untouched.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { startFakeModel, type FakeModel } from "./fakeModel.ts";
import { cleanup, runCli, tempDir, treeState, tsWorkspace } from "./helpers.ts";

let fake: FakeModel;
let workspace: string;
let outside: string;
let before: Record<string, string>;

beforeAll(() => {
  fake = startFakeModel({ fallback: { "fast-coder": "no diff here" } });
  workspace = tsWorkspace();
  outside = tempDir("smol-outside-");
  symlinkSync(outside, path.join(workspace, "escape"));
  mkdirSync(path.join(workspace, "empty-dir"));
  writeFileSync(
    path.join(workspace, "bad-config.json"),
    JSON.stringify({ tiers: { fast: { model: "x", concurrency: 0 } } }),
  );
  writeFileSync(path.join(workspace, "unknown-config.json"), JSON.stringify({ retries: 3 }));
  before = treeState(workspace);
});
afterAll(async () => {
  await fake.stop();
  cleanup(workspace, outside);
});

const ok = { description: "Implement total()", filesOwned: ["src/math.ts"] };
type Case = { name: string; stdin?: string; args?: string[]; mentions: RegExp };

const cases: Case[] = [
  { name: "not JSON", stdin: "{description: nope", mentions: /stdin: is not valid JSON.*Fix:/ },
  { name: "a JSON array", stdin: "[]", mentions: /stdin: is not a JSON object/ },
  { name: "empty stdin", stdin: "", mentions: /stdin: is empty/ },
  {
    name: "missing description",
    stdin: JSON.stringify({ filesOwned: ["a.ts"] }),
    mentions: /description: is required/,
  },
  {
    name: "empty filesOwned",
    stdin: JSON.stringify({ ...ok, filesOwned: [] }),
    mentions: /filesOwned: .*Fix: give "filesOwned"/,
  },
  {
    name: "an unknown field",
    stdin: JSON.stringify({ ...ok, priority: 1 }),
    mentions: /priority: is not a task field/,
  },
  {
    name: "a bad startTier",
    stdin: JSON.stringify({ ...ok, startTier: "turbo" }),
    mentions: /startTier: .*"fast", "deep", "reviewer"/,
  },
  {
    name: "a missing --file",
    args: ["--file", "/nonexistent/task.json"],
    mentions: /--file: \/nonexistent\/task.json does not exist/,
  },
  {
    name: "a missing workspace",
    stdin: JSON.stringify(ok),
    args: ["--workspace", "/nonexistent/ws"],
    mentions: /workspace: \/nonexistent\/ws does not exist/,
  },
  {
    name: "an owned path with ../",
    stdin: JSON.stringify({ ...ok, filesOwned: ["../x.ts"] }),
    mentions: /filesOwned.0: "..\/x.ts" leaves the workspace/,
  },
  {
    name: "an absolute owned path",
    stdin: JSON.stringify({ ...ok, filesOwned: ["/etc/passwd"] }),
    mentions: /filesOwned.0: "\/etc\/passwd" is absolute/,
  },
  {
    name: "an owned path through a symlink out",
    stdin: JSON.stringify({ ...ok, filesOwned: ["src/math.ts", "escape/x.ts"] }),
    mentions: /filesOwned.1: .*through a symlink/,
  },
  {
    name: "an owned path inside .git",
    stdin: JSON.stringify({ ...ok, filesOwned: [".git/config"] }),
    mentions: /is inside .git/,
  },
  {
    name: "an owned directory",
    stdin: JSON.stringify({ ...ok, filesOwned: ["empty-dir"] }),
    mentions: /"empty-dir" is a directory/,
  },
  {
    name: "nothing to verify",
    stdin: JSON.stringify(ok),
    args: ["--workspace", "WS/src"],
    mentions: /verify: no verification found/,
  },
  {
    name: "a bad flag value",
    stdin: JSON.stringify(ok),
    args: ["--max-attempts", "0"],
    mentions: /invalid arguments: .*--max-attempts/,
  },
  { name: "an unknown flag", stdin: JSON.stringify(ok), args: ["--turbo"], mentions: /unknown option '--turbo'/ },
  {
    name: "an invalid config value",
    stdin: JSON.stringify(ok),
    args: ["--config", "WS/bad-config.json"],
    mentions: /config tiers.fast.concurrency: /,
  },
  {
    name: "an unknown config key",
    stdin: JSON.stringify(ok),
    args: ["--config", "WS/unknown-config.json"],
    mentions: /unknown key\(s\) retries/,
  },
  {
    name: "--commit outside git",
    stdin: JSON.stringify({ ...ok, verify: ["true"], filesOwned: ["x.ts"] }),
    args: ["--commit", "--workspace", "OUT"],
    mentions: /--commit: .* is not a git repository/,
  },
];

describe("bad input", () => {
  for (const testCase of cases) {
    test(`${testCase.name}: exit 2, one line, nothing touched, no model call`, async () => {
      const args = (testCase.args ?? []).map((arg) => arg.replace("WS", workspace).replace("OUT", outside));
      const hasWorkspaceArg = args.includes("--workspace");
      const result = await runCli([...(hasWorkspaceArg ? [] : ["--workspace", workspace]), ...args], {
        stdin: testCase.stdin,
        env: { LITELLM_URL: fake.url },
      });
      expect(result.exitCode).toBe(2);
      const lines = result.stderr.trimEnd().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^smol-coder: /);
      expect(lines[0]).toMatch(testCase.mentions);
      expect(result.events).toEqual([]);
      expect(fake.requests).toHaveLength(0);
      expect(treeState(workspace)).toEqual(before);
    }, 15_000);
  }
});
