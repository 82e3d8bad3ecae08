// The process around a task: interruption restores the workspace, events are copied to the log dir, keys never leak.
import { expect, test } from "bun:test";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { startFakeModel } from "./fakeModel.ts";
import { CLI, ORCHESTRATOR_DIR, diffReply, perTestResources, runCli, tempDir, treeState } from "./helpers.ts";

const KEY = "sk-lifecycle-secret-987654321";
const resources = perTestResources();

function valueWorkspace(): string {
  const dir = resources.track(tempDir("smol-life-"));
  writeFileSync(path.join(dir, "value.txt"), "start\n");
  return dir;
}

test("SIGTERM during verification kills it, restores the owned files and exits 130", async () => {
  resources.fake = startFakeModel({ replies: { "fast-coder": [diffReply("value.txt", "start\n", "changed\n")] } });
  const dir = valueWorkspace();
  const before = treeState(dir);
  const task = JSON.stringify({ description: "change it", filesOwned: ["value.txt"], verify: ["sleep 30"] });
  const child = Bun.spawn(["bun", "run", CLI, "--no-log-file", "--workspace", dir], {
    cwd: ORCHESTRATOR_DIR,
    env: { ...process.env, LITELLM_URL: resources.fake!.url },
    stdin: new TextEncoder().encode(task),
    stdout: "pipe",
    stderr: "pipe",
  });
  let seen = "";
  const decoder = new TextDecoder();
  for await (const chunk of child.stdout) {
    seen += decoder.decode(chunk);
    if (seen.includes('"event":"verification_start"')) break;
  }
  expect(readFileSync(path.join(dir, "value.txt"), "utf8")).toBe("changed\n");
  child.kill("SIGTERM");
  expect(await child.exited).toBe(130);
  expect(treeState(dir)).toEqual(before);
}, 30_000);

test("events are copied to the log directory; API keys are scrubbed from every line, error text included", async () => {
  resources.fake = startFakeModel({ fallback: { "fast-coder": { status: 401, message: `Authentication Error, invalid key ${KEY}` } } });
  const dir = valueWorkspace();
  const logDir = resources.track(tempDir("smol-logs-"));
  const config = path.join(logDir, "config.json");
  writeFileSync(config, JSON.stringify({ logDir }));
  const task = JSON.stringify({ description: "change it", filesOwned: ["value.txt"], verify: ["true"] });
  const child = Bun.spawn(["bun", "run", CLI, "--workspace", dir, "--config", config], {
    cwd: ORCHESTRATOR_DIR,
    env: { ...process.env, LITELLM_URL: resources.fake!.url, LITELLM_API_KEY: KEY },
    stdin: new TextEncoder().encode(task),
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, exitCode] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  expect(exitCode).toBe(2);
  expect(resources.fake!.requests[0]!.authorization).toBe(`Bearer ${KEY}`);
  const [logFile] = readdirSync(logDir).filter((name) => name.endsWith(".jsonl"));
  const copy = readFileSync(path.join(logDir, logFile!), "utf8");
  expect(copy.trim().split("\n").map((line) => (JSON.parse(line) as { event: string }).event)).toEqual(
    stdout.trim().split("\n").map((line) => (JSON.parse(line) as { event: string }).event),
  );
  expect(stdout).toContain("invalid key [REDACTED]");
  for (const text of [stdout, stderr, copy]) expect(text).not.toContain(KEY);
}, 30_000);

test("LOG_LEVEL=warn keeps only warnings and errors", async () => {
  resources.fake = startFakeModel({ replies: { "fast-coder": ["no diff at all", diffReply("value.txt", "start\n", "changed\n")] } });
  const dir = valueWorkspace();
  const task = JSON.stringify({ description: "change it", filesOwned: ["value.txt"], verify: ["true"] });
  const result = await runCli(["--workspace", dir], { stdin: task, env: { LITELLM_URL: resources.fake!.url, LOG_LEVEL: "warn" } });
  expect(result.exitCode).toBe(0);
  expect(result.events.map((event) => event.event)).toEqual(["patch_rejected"]);
}, 30_000);
