// The process around a task: interruption restores the workspace, events are copied to the log dir, keys never leak.
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { startFakeModel } from "./fakeModel.ts";
import { CLI, ORCHESTRATOR_DIR, diffReply, perTestResources, runCli, spawnCli, tempDir, treeState } from "./helpers.ts";

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
  const cli = spawnCli(["--workspace", dir], { stdin: task, env: { LITELLM_URL: resources.fake!.url } });
  await cli.until((event) => event.event === "verification_started");
  expect(readFileSync(path.join(dir, "value.txt"), "utf8")).toBe("changed\n");
  process.kill(cli.pid, "SIGTERM");
  const result = await cli.finished;
  expect(result.exitCode).toBe(130);
  expect(result.events.find((event) => event.event === "interrupt_received")).toMatchObject({
    signal: "SIGTERM",
    count: 1,
  });
  expect(treeState(dir)).toEqual(before);
}, 30_000);

/** A config file for one test: e.g. waits far longer than the test may take, so only an interrupt ends them. */
function configFile(config: object): string {
  const file = path.join(resources.track(tempDir("smol-life-config-")), "config.json");
  writeFileSync(file, JSON.stringify(config));
  return file;
}

describe("Ctrl-C ends every wait at once: exit 130, the workspace as it was", () => {
  test.each([
    [
      "waiting for the proxy to be ready",
      () =>
        startFakeModel({ get: { "/health/readiness": () => Response.json({ error: "starting" }, { status: 503 }) } }),
      { endpoint: { readyTimeoutMs: 3_600_000 } },
      "endpoint_not_ready",
      0,
    ],
    [
      "a retry's backoff",
      () => startFakeModel({ fallback: { "fast-coder": { status: 503, retryAfter: "3600" } } }),
      { endpoint: { maxRetries: 3, retryMaxMs: 3_600_000 } },
      "model_call_retried",
      1,
    ],
  ] as const)(
    "%s",
    async (_, fake, config, waitingEvent, calls) => {
      resources.fake = fake();
      const dir = valueWorkspace();
      const before = treeState(dir);
      const task = JSON.stringify({ description: "change it", filesOwned: ["value.txt"], verify: ["true"] });
      const cli = spawnCli(["--workspace", dir, "--config", configFile(config)], {
        stdin: task,
        env: { LITELLM_URL: resources.fake.url },
      });
      await cli.until((event) => event.event === waitingEvent);
      process.kill(cli.pid, "SIGINT");
      const result = await cli.finished;
      expect(result.exitCode).toBe(130);
      expect(result.stderr).toMatch(/^smol-coder: task \S+ interrupted after 0 attempt/);
      expect(resources.fake.requestsFor("fast-coder")).toHaveLength(calls);
      expect(treeState(dir)).toEqual(before);
    },
    30_000,
  );
});

test("events are copied to the log directory; API keys are scrubbed from every line, error text included", async () => {
  resources.fake = startFakeModel({
    fallback: { "fast-coder": { status: 401, message: `Authentication Error, invalid key ${KEY}` } },
  });
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
  const [stdout, stderr, exitCode] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  expect(exitCode).toBe(2);
  expect(resources.fake!.requests[0]!.authorization).toBe(`Bearer ${KEY}`);
  const [logFile] = readdirSync(logDir).filter((name) => name.endsWith(".jsonl"));
  const copy = readFileSync(path.join(logDir, logFile!), "utf8");
  expect(
    copy
      .trim()
      .split("\n")
      .map((line) => (JSON.parse(line) as { event: string }).event),
  ).toEqual(
    stdout
      .trim()
      .split("\n")
      .map((line) => (JSON.parse(line) as { event: string }).event),
  );
  expect(stdout).toContain("invalid key [REDACTED]");
  for (const text of [stdout, stderr, copy]) expect(text).not.toContain(KEY);
}, 30_000);

test("LOG_LEVEL=warn keeps only warnings and errors", async () => {
  resources.fake = startFakeModel({
    replies: { "fast-coder": ["no diff at all", diffReply("value.txt", "start\n", "changed\n")] },
  });
  const dir = valueWorkspace();
  const task = JSON.stringify({ description: "change it", filesOwned: ["value.txt"], verify: ["true"] });
  const result = await runCli(["--workspace", dir], {
    stdin: task,
    env: { LITELLM_URL: resources.fake!.url, LOG_LEVEL: "warn" },
  });
  expect(result.exitCode).toBe(0);
  expect(result.events.map((event) => event.event)).toEqual(["patch_rejected"]);
}, 30_000);
