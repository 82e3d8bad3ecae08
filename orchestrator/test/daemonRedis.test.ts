// Two daemons on one Redis queue (serve --queue redis://…), real CLI processes and a real redis-server: tasks
// submitted to one are run by both, the tier limits hold across them, and a daemon killed with SIGKILL mid-task has
// its task finished by the other.
import { describe, expect, test } from "bun:test";
import { copyFileSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import path from "node:path";
import { startFakeModel } from "./fakeModel.ts";
import { loadDataset } from "../src/humaneval/dataset.ts";
import { diffReply, runCli, SHARED_DATASET, spawnCli } from "./helpers.ts";
import { client, daemonTestKit, MATH, MATH_BEFORE, MATH_RIGHT, TOTAL_TASK, type Env } from "./daemonHelpers.ts";
import { cuttableRelay, REDIS_SERVER, redisForFile } from "./redisServer.ts";

const { resources, daemons, workspace, daemonEnv } = daemonTestKit();
const server = redisForFile();
let prefixes = 0;

/** A daemon of its own (socket, run store) on the shared queue, one task at a time, fast limited to one call. */
async function startOn(queue: string, prefix: string, env: Env, flags: string[] = [], leaseMs = 1_000) {
  const { socket } = daemonEnv();
  const config = path.join(path.dirname(socket), "..", "config.json");
  const settings = { tiers: { fast: { concurrency: 1 } }, daemon: { maxTasks: 1, leaseMs }, limits: { prefix } };
  writeFileSync(config, JSON.stringify({ ...settings, guidance: { spec: false } }));
  const daemon = spawnCli(["serve", "--socket", socket, "--config", config, "--queue", queue, ...flags], {
    env: { ...env, SMOL_CODER_DB: path.join(path.dirname(socket), "..", "runs.db") },
  });
  daemons.push(daemon);
  const ready = await daemon.until((event) => event.event === "daemon_ready");
  return { socket, daemon, ready };
}

describe.skipIf(!REDIS_SERVER)("daemons on one Redis queue", () => {
  test("four tasks submitted to one daemon are run by both; fast never has two calls at once between them", async () => {
    resources.fake = startFakeModel({
      fallback: { "fast-coder": { reply: diffReply(MATH, MATH_BEFORE, MATH_RIGHT), delayMs: 600 } },
      advisors: false,
    });
    const prefix = `serve-${++prefixes}`;
    const env = { LITELLM_URL: resources.fake.url };
    const a = await startOn(server().url, prefix, env);
    const b = await startOn(server().url, prefix, env);
    expect(a.ready).toMatchObject({ queue: server().url });
    const dirs = [workspace(), workspace(), workspace(), workspace()];
    const ids: string[] = [];
    for (const dir of dirs) {
      const submitted = await client(["submit", "--workspace", dir], a.socket, env, JSON.stringify(TOTAL_TASK));
      expect(submitted.exitCode, submitted.stderr).toBe(0);
      ids.push(submitted.stdout.trim());
    }
    for (const id of ids) {
      const waited = await client(["wait", id], b.socket, env);
      expect(waited.exitCode, waited.stderr).toBe(0);
    }
    for (const dir of dirs) expect(readFileSync(path.join(dir, MATH), "utf8")).toBe(MATH_RIGHT);
    // Who ran each task: the pid on its events.
    const runners = new Set<number>();
    for (const id of ids) {
      const logs = await client(["logs", id], a.socket, env);
      const started = logs.stdout.split("\n").find((line) => line.includes('"task_started"'));
      runners.add((JSON.parse(started!) as { pid: number }).pid);
    }
    expect(runners).toEqual(new Set([a.daemon.pid, b.daemon.pid]));
    const metrics = await (await fetch("http://d/metrics", { unix: a.socket } as RequestInit)).text();
    expect(metrics).toContain('smol_coder_queue_tasks{state="done"} 4');
    expect(metrics).toContain('smol_coder_model_call_leases{role="fast"} 0');
    expect(resources.fake.maxInFlight["fast-coder"]).toBe(1);
  }, 90_000);

  test("a daemon killed with SIGKILL mid-task: the other daemon runs it again from the start and finishes it", async () => {
    resources.fake = startFakeModel({
      fallback: { "fast-coder": { reply: diffReply(MATH, MATH_BEFORE, MATH_RIGHT), delayMs: 3_000 } },
      advisors: false,
    });
    const prefix = `serve-${++prefixes}`;
    const env = { LITELLM_URL: resources.fake.url };
    const a = await startOn(server().url, prefix, env);
    const dir = workspace();
    const submitted = await client(["submit", "--workspace", dir], a.socket, env, JSON.stringify(TOTAL_TASK));
    const id = submitted.stdout.trim();
    await a.daemon.until((event) => event.event === "model_call_started");
    process.kill(a.daemon.pid, "SIGKILL");
    await a.daemon.finished;
    const b = await startOn(server().url, prefix, env);
    const waited = await client(["wait", id], b.socket, env);
    expect(waited.exitCode, waited.stderr).toBe(0);
    expect(readFileSync(path.join(dir, MATH), "utf8")).toBe(MATH_RIGHT);
    expect((await client(["status", id], b.socket, env)).stdout).toContain("started 2 time(s)");
  }, 90_000);

  test("serve --no-work answers clients, a worker (no socket) runs their tasks", async () => {
    resources.fake = startFakeModel({
      fallback: { "fast-coder": { reply: diffReply(MATH, MATH_BEFORE, MATH_RIGHT), delayMs: 100 } },
      advisors: false,
    });
    const prefix = `serve-${++prefixes}`;
    const env = { LITELLM_URL: resources.fake.url };
    const front = await startOn(server().url, prefix, env, ["--no-work"]);
    expect(front.ready).toMatchObject({ maxTasks: 0 });
    const config = path.join(path.dirname(front.socket), "..", "config.json");
    const worker = spawnCli(["worker", "--queue", server().url, "--config", config], { env });
    daemons.push(worker);
    expect(await worker.until((event) => event.event === "daemon_ready")).toMatchObject({ socket: null, maxTasks: 1 });
    const dir = workspace();
    const submitted = await client(
      ["submit", "--wait", "--workspace", dir],
      front.socket,
      env,
      JSON.stringify(TOTAL_TASK),
    );
    expect(submitted.exitCode, submitted.stderr).toBe(0);
    expect(readFileSync(path.join(dir, MATH), "utf8")).toBe(MATH_RIGHT);
    const started = await worker.until((event) => event.event === "task_started");
    expect(started.pid).toBe(worker.pid);
    // doctor reads the same queue: its depth, and who runs its tasks (the worker; the front door runs none).
    const doctor = await runCli(["doctor", "--json", "--config", config], {
      env: { ...env, SMOL_CODER_QUEUE: server().url },
    });
    const row = (
      JSON.parse(doctor.stdout) as { checks: { name: string; status: string; detail: string }[] }
    ).checks.find((check) => check.name === "queue");
    expect(row).toMatchObject({ status: "ok", detail: `${server().url}: 0 queued, 0 running, 1 worker(s) connected` });
  }, 60_000);

  test("redis-server killed with SIGKILL mid-task and started again: the daemon says so both ways, the task completes", async () => {
    resources.fake = startFakeModel({
      fallback: { "fast-coder": { reply: diffReply(MATH, MATH_BEFORE, MATH_RIGHT), delayMs: 2_500 } },
      advisors: false,
    });
    const prefix = `serve-${++prefixes}`;
    const env = { LITELLM_URL: resources.fake.url };
    // A lease longer than the outage: the task stays this daemon's.
    const a = await startOn(server().url, prefix, env, [], 10_000);
    const dir = workspace();
    const id = (await client(["submit", "--workspace", dir], a.socket, env, JSON.stringify(TOTAL_TASK))).stdout.trim();
    await a.daemon.until((event) => event.event === "model_call_started");
    await server().kill();
    await a.daemon.until((event) => event.event === "queue_redis_lost");
    await server().restart();
    await a.daemon.until((event) => event.event === "queue_redis_back");
    const waited = await client(["wait", id], a.socket, env);
    expect(waited.exitCode, waited.stderr).toBe(0);
    expect(readFileSync(path.join(dir, MATH), "utf8")).toBe(MATH_RIGHT);
    expect((await client(["status", id], a.socket, env)).stdout).toContain("started 1 time(s)");
  }, 90_000);

  test("a workspace task runs only on the machine it was submitted on (daemon.machine), never on a worker elsewhere", async () => {
    resources.fake = startFakeModel({
      fallback: { "fast-coder": { reply: diffReply(MATH, MATH_BEFORE, MATH_RIGHT), delayMs: 100 } },
      advisors: false,
    });
    const prefix = `serve-${++prefixes}`;
    const env = { LITELLM_URL: resources.fake.url };
    const front = await startOn(server().url, prefix, env, ["--no-work"]);
    const settings = (machine: string) => {
      const file = path.join(path.dirname(front.socket), "..", `${machine}.json`);
      const config = { tiers: { fast: { concurrency: 1 } }, guidance: { spec: false }, limits: { prefix } };
      writeFileSync(file, JSON.stringify({ ...config, daemon: { maxTasks: 1, machine } }));
      return file;
    };
    // The front door is on this host; "elsewhere" is a worker that says it is another machine.
    const elsewhere = spawnCli(["worker", "--queue", server().url, "--config", settings("elsewhere")], { env });
    daemons.push(elsewhere);
    await elsewhere.until((event) => event.event === "daemon_ready");
    const dir = workspace();
    const id = (
      await client(["submit", "--workspace", dir], front.socket, env, JSON.stringify(TOTAL_TASK))
    ).stdout.trim();
    await Bun.sleep(1_500); // two of its looks at the queue: it must pass the task over
    expect((await client(["status", id], front.socket, env)).stdout).toContain(": queued");
    const here = spawnCli(["worker", "--queue", server().url, "--config", settings(hostname())], { env });
    daemons.push(here);
    const waited = await client(["wait", id], front.socket, env);
    expect(waited.exitCode, waited.stderr).toBe(0);
    expect(elsewhere.events.some((event) => event.event === "task_started")).toBe(false);
  }, 60_000);

  test("a HumanEval task carries its problem on a Redis queue: a worker with no dataset solves it", async () => {
    const [p0] = await loadDataset(SHARED_DATASET);
    resources.fake = startFakeModel({
      fallback: { "fast-coder": diffReply("solution.py", p0!.prompt, p0!.prompt + p0!.canonicalSolution) },
      advisors: false,
    });
    const prefix = `serve-${++prefixes}`;
    const env = { LITELLM_URL: resources.fake.url };
    const front = await startOn(server().url, prefix, env, ["--no-work"]);
    // The submitter's own copy of the dataset, gone before any worker looks: the task must carry what it needs.
    const dataset = path.join(path.dirname(front.socket), "HumanEval.jsonl.gz");
    copyFileSync(SHARED_DATASET, dataset);
    // A problem the client makes up is not taken: the dataset's is.
    const bogus = { prompt: "def f():\n", entryPoint: "f", test: "def check(candidate):\n    assert False\n" };
    const task = JSON.stringify({ kind: "humaneval", problemId: p0!.taskId, dataset, maxAttempts: 1, problem: bogus });
    const submitted = await client(["submit", "--workspace", path.dirname(front.socket)], front.socket, env, task);
    expect(submitted.exitCode, submitted.stderr).toBe(0);
    const id = submitted.stdout.trim();
    rmSync(dataset);
    const queued = (await (await fetch(`http://d/v1/tasks/${id}`, { unix: front.socket } as RequestInit)).json()) as {
      task: { problem: Record<string, string> };
    };
    expect(Object.keys(queued.task.problem).sort()).toEqual(["entryPoint", "prompt", "test"]);
    expect(queued.task.problem).toEqual({ prompt: p0!.prompt, entryPoint: p0!.entryPoint, test: p0!.test });
    const config = path.join(path.dirname(front.socket), "..", "config.json");
    daemons.push(spawnCli(["worker", "--queue", server().url, "--config", config], { env }));
    const waited = await client(["wait", id], front.socket, env);
    expect(waited.exitCode, waited.stderr).toBe(0);
  }, 60_000);

  test("a daemon cut off from Redis past its lease loses its task to another and, back, stops it (task_lost)", async () => {
    // A HumanEval task: on one machine two daemons would otherwise take turns on a workspace task's lock.
    const [p0] = await loadDataset(SHARED_DATASET);
    const right = diffReply("solution.py", p0!.prompt, p0!.prompt + p0!.canonicalSolution);
    // The first call (the daemon that will be cut off) takes long; the second (the one that takes over) does not.
    resources.fake = startFakeModel({
      replies: { "fast-coder": [{ reply: right, delayMs: 30_000 }, { reply: right }] },
      advisors: false,
    });
    const prefix = `serve-${++prefixes}`;
    const env = { LITELLM_URL: resources.fake.url };
    const relay = await cuttableRelay(server().port);
    try {
      const cutOff = await startOn(relay.url, prefix, env);
      const task = JSON.stringify({
        kind: "humaneval",
        problemId: p0!.taskId,
        dataset: SHARED_DATASET,
        maxAttempts: 1,
      });
      const home = path.dirname(cutOff.socket);
      const submitted = await client(["submit", "--workspace", home], cutOff.socket, env, task);
      expect(submitted.exitCode, submitted.stderr).toBe(0);
      const id = submitted.stdout.trim();
      await cutOff.daemon.until((event) => event.event === "model_call_started");
      relay.cut();
      const other = await startOn(server().url, prefix, env);
      await other.daemon.until((event) => event.event === "task_started");
      relay.restore();
      await cutOff.daemon.until((event) => event.event === "task_lost");
      const waited = await client(["wait", id], other.socket, env);
      expect(waited.exitCode, waited.stderr).toBe(0);
      expect(cutOff.daemon.events.some((event) => event.event === "task_completed")).toBe(false);
      expect((await client(["status", id], other.socket, env)).stdout).toContain("started 2 time(s)");
    } finally {
      relay.stop();
    }
  }, 90_000);

  test("a queue's Redis that does not answer: serve exits 3 at once, the URL's password hidden", async () => {
    resources.fake = startFakeModel({});
    const { socket } = daemonEnv();
    const result = await runCli(["serve", "--socket", socket, "--queue", "redis://:hunter2-queue-pw@127.0.0.1:9"], {
      env: { LITELLM_URL: resources.fake.url },
    });
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toContain("the queue's Redis redis://:***@127.0.0.1:9 unusable after 1 tries");
    expect(result.stdout + result.stderr).not.toContain("hunter2-queue-pw");
  }, 30_000);
});
