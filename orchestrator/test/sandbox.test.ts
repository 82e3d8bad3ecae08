// The sandbox through the real CLI: it reports what isolates verification, fails closed when bubblewrap is
// missing or broken, and --unsafe-no-sandbox runs anyway with a loud warning on every task.
import { expect, test } from "bun:test";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { startFakeModel } from "./fakeModel.ts";
import { diffReply, initRepo, perTestResources, runCli, tempDir, treeState } from "./helpers.ts";

const resources = perTestResources();
const TASK = JSON.stringify({
  description: "make value.txt say good",
  filesOwned: ["value.txt"],
  verify: ["grep -qx good value.txt"],
});

function valueWorkspace(): string {
  const dir = resources.track(tempDir("smol-sandbox-cli-"));
  writeFileSync(path.join(dir, "value.txt"), "start\n");
  initRepo(dir);
  return dir;
}

function run(dir: string, args: string[] = [], env: Record<string, string> = {}) {
  return runCli(["--workspace", dir, ...args], {
    stdin: TASK,
    env: { LITELLM_URL: resources.fake?.url ?? "http://127.0.0.1:9/v1", ...env },
  });
}

test("start-up reports the sandbox: bubblewrap, limits by cgroup or rlimit", async () => {
  resources.fake = startFakeModel({ replies: { "fast-coder": [diffReply("value.txt", "start\n", "good\n")] } });
  const result = await run(valueWorkspace());
  expect(result.exitCode).toBe(0);
  const ready = result.events.find((event) => event.event === "sandbox_ready");
  expect(ready).toMatchObject({
    enabled: true,
    isolation: expect.stringMatching(/^bubblewrap \(.*\); processes and memory capped by (cgroup v[12]|rlimits)$/),
  });
  expect(result.events.some((event) => event.event === "sandbox_disabled")).toBe(false);
});

test("no bubblewrap: exit 4 with the fix, no model call, the workspace untouched", async () => {
  resources.fake = startFakeModel({ replies: { "fast-coder": [diffReply("value.txt", "start\n", "good\n")] } });
  const dir = valueWorkspace();
  const before = treeState(dir);
  const result = await run(dir, [], { SMOL_CODER_BWRAP: path.join(dir, "no-such-bwrap") });
  expect(result.exitCode).toBe(4);
  expect(result.stderr.trim().split("\n")).toHaveLength(1);
  expect(result.stderr).toContain("sandbox unavailable:");
  expect(result.stderr).toContain("apt-get install bubblewrap");
  expect(result.stderr).toContain("--unsafe-no-sandbox");
  expect(resources.fake.requests).toHaveLength(0);
  expect(treeState(dir)).toEqual(before);
});

test("a bubblewrap that does not isolate fails the self-test: exit 4 naming what leaked", async () => {
  resources.fake = startFakeModel({ replies: { "fast-coder": [diffReply("value.txt", "start\n", "good\n")] } });
  const dir = valueWorkspace();
  // A "bwrap" that ignores its options and runs the command unjailed: the probe sees the host's /usr and network.
  const fake = path.join(resources.track(tempDir("smol-fake-bwrap-")), "bwrap");
  writeFileSync(fake, '#!/bin/sh\nwhile [ "$1" != "--" ]; do shift; done\nshift\nexec "$@"\n');
  chmodSync(fake, 0o755);
  const result = await run(dir, [], { SMOL_CODER_BWRAP: fake });
  expect(result.exitCode).toBe(4);
  expect(result.stderr).toContain("the bubblewrap self-test failed");
  expect(result.stderr).toMatch(/a file outside the workspace was readable|\/usr was writable/);
  expect(resources.fake.requests).toHaveLength(0);
});

test("--unsafe-no-sandbox runs the task, with a warning at start-up and on the task", async () => {
  resources.fake = startFakeModel({ replies: { "fast-coder": [diffReply("value.txt", "start\n", "good\n")] } });
  const dir = valueWorkspace();
  const result = await run(dir, ["--unsafe-no-sandbox"], { SMOL_CODER_BWRAP: path.join(dir, "no-such-bwrap") });
  expect(result.exitCode).toBe(0);
  expect(result.events.find((event) => event.event === "sandbox_ready")).toMatchObject({ enabled: false, level: 40 });
  expect(result.events.find((event) => event.event === "sandbox_disabled")).toMatchObject({
    level: 40,
    flag: "--unsafe-no-sandbox",
  });
  expect(readFileSync(path.join(dir, "value.txt"), "utf8")).toBe("good\n");
});
