// Benchmark: the queue across processes, on a real redis-server (Debian's) and the fake model.
// (1) Throughput, in one run: --tasks one-attempt tasks (the model answers at once, verification is `true`)
//     submitted at once to the SQLite daemon, then to a Redis queue (serve --no-work as the front door) run by 1, 2
//     and 4 workers (processes on this machine): tasks per second, and the median queue wait (submitted → started)
//     as the scheduling overhead per task. On two cores more workers measure contention more than scale.
// (2) The swarm end to end: 3 workers and 30 tasks where the fast tier answers wrong twice and deep right (200 ms per
//     call); every worker's events replayed in time order: the most model calls in flight per tier across all
//     workers, beside its limit and the fake model's own count.
// Run: bun run bench/swarm.ts [--tasks 40]
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { startFakeModel, type FakeModel } from "../test/fakeModel.ts";
import { startRedis } from "../test/redisServer.ts";

const { values } = parseArgs({ options: { tasks: { type: "string", default: "40" } } });
const TASKS = Number(values.tasks);
const CLI = path.join(import.meta.dir, "..", "src", "index.ts");
const root = mkdtempSync(path.join(tmpdir(), "smol-bench-swarm-"));
const redis = await startRedis();
const diff = (to: string) => `\`\`\`diff\n--- a/value.txt\n+++ b/value.txt\n@@ -1 +1 @@\n-start\n+${to}\n\`\`\`\n`;

type Proc = { child: ReturnType<typeof Bun.spawn>; lines: string[]; ready: Promise<void> };
let procs = 0;
function start(args: string[], env: Record<string, string>): Proc {
  const child = Bun.spawn(["bun", "run", CLI, "--no-log-file", ...args], {
    env: { ...process.env, ...env, SMOL_CODER_DB: path.join(root, `runs-${++procs}.db`) },
    stdout: "pipe",
    stderr: "inherit",
  });
  const lines: string[] = [];
  const ready = (async () => {
    const reader = (child.stdout as ReadableStream<Uint8Array>).getReader();
    let buffer = "";
    let resolved = false;
    return new Promise<void>((resolve) => {
      void (async () => {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          buffer += new TextDecoder().decode(value);
          const parts = buffer.split("\n");
          buffer = parts.pop()!;
          lines.push(...parts);
          if (!resolved && parts.some((line) => line.includes('"event":"daemon_ready"'))) {
            resolved = true;
            resolve();
          }
        }
      })();
    });
  })();
  return { child, lines, ready };
}

async function api(socket: string, route: string, body?: object): Promise<Record<string, unknown>> {
  const response = await fetch(`http://d${route}`, {
    unix: socket,
    method: body ? "POST" : "GET",
    headers: { "content-type": "application/json" },
    body: body ? JSON.stringify(body) : undefined,
  } as RequestInit);
  return (await response.json()) as Record<string, unknown>;
}

/** Submits `count` tasks at once, waits for all: wall seconds, tasks per second, median queue wait. */
async function batch(socket: string, count: number, task: object) {
  const dirs = Array.from({ length: count }, () => {
    const dir = mkdtempSync(path.join(root, "ws-"));
    writeFileSync(path.join(dir, "value.txt"), "start\n");
    return dir;
  });
  const started = performance.now();
  const ids = await Promise.all(
    dirs.map(async (workspace) => (await api(socket, "/v1/tasks", { task, workspace })).id as string),
  );
  const ends: Record<string, unknown>[] = [];
  for (const id of ids)
    for (;;) {
      const entry = await api(socket, `/v1/tasks/${id}`);
      if (entry.state === "done" || entry.state === "cancelled") {
        if (entry.exitCode !== 0) throw new Error(`task ${id} ended ${entry.exitCode}: ${entry.summary}`);
        ends.push(entry);
        break;
      }
      await Bun.sleep(20);
    }
  const seconds = (performance.now() - started) / 1000;
  const waits = ends
    .map((entry) => Date.parse(String(entry.startedAt)) - Date.parse(String(entry.submittedAt)))
    .sort((a, b) => a - b);
  return { seconds, perSecond: count / seconds, medianWaitMs: waits[Math.floor(waits.length / 2)]! };
}

async function stop(list: Proc[]) {
  for (const proc of list) proc.child.kill("SIGTERM");
  await Promise.all(list.map((proc) => proc.child.exited));
}

function config(name: string, settings: object): string {
  const file = path.join(root, `${name}.json`);
  writeFileSync(file, JSON.stringify({ guidance: { spec: false, checkpoints: false }, ...settings }));
  return file;
}

// (1) Throughput.
const quick = { description: "change it", filesOwned: ["value.txt"], verify: ["true"] };
const fakeQuick: FakeModel = startFakeModel({ fallback: { "fast-coder": diff("changed") } });
const quickEnv = { LITELLM_URL: fakeQuick.url };
const rows: string[] = [];
{
  const socket = path.join(root, "sqlite", "d.sock");
  const daemon = start(["serve", "--socket", socket, "--config", config("sqlite", {})], quickEnv);
  await daemon.ready;
  await batch(socket, 4, quick); // warm-up
  const result = await batch(socket, TASKS, quick);
  rows.push(`| SQLite daemon (serve) | 1 | ${result.perSecond.toFixed(2)} | ${result.medianWaitMs} ms |`);
  await stop([daemon]);
}
for (const workers of [1, 2, 4]) {
  const queue = `${redis.url}`;
  const prefix = `tp-${workers}`;
  const file = config(prefix, { limits: { prefix } });
  const socket = path.join(root, prefix, "d.sock");
  const front = start(["serve", "--socket", socket, "--queue", queue, "--no-work", "--config", file], quickEnv);
  const hands = Array.from({ length: workers }, () => start(["worker", "--queue", queue, "--config", file], quickEnv));
  await Promise.all([front, ...hands].map((proc) => proc.ready));
  await batch(socket, 4, quick);
  const result = await batch(socket, TASKS, quick);
  rows.push(
    `| Redis queue, serve --no-work + workers | ${workers} | ${result.perSecond.toFixed(2)} | ${result.medianWaitMs} ms |`,
  );
  await stop([front, ...hands]);
}
fakeQuick.stop();
console.log(`Throughput: ${TASKS} one-attempt tasks submitted at once, the fake model answering at once\n`);
console.log("| queue | workers | tasks per second | median queue wait |\n| --- | ---: | ---: | ---: |");
for (const row of rows) console.log(row);

// (2) The swarm end to end: fast wrong twice, deep right.
const hard = { description: "make value.txt say good", filesOwned: ["value.txt"], verify: ["grep -qx good value.txt"] };
const fake = startFakeModel({
  fallback: { "fast-coder": { reply: diff("bad"), delayMs: 200 }, "deep-coder": { reply: diff("good"), delayMs: 200 } },
  advisors: false,
});
const prefix = "e2e";
const file = config(prefix, { limits: { prefix }, policy: { failuresBeforeEscalation: 2, maxAttempts: 5 } });
const socket = path.join(root, prefix, "d.sock");
const env = { LITELLM_URL: fake.url };
const front = start(["serve", "--socket", socket, "--queue", redis.url, "--no-work", "--config", file], env);
const workers = Array.from({ length: 3 }, () => start(["worker", "--queue", redis.url, "--config", file], env));
await Promise.all([front, ...workers].map((proc) => proc.ready));
const run = await batch(socket, 30, hard);
await stop([front, ...workers]);
fake.stop();
type Event = { event: string; tier: string; time: number; pid: number };
const events = workers
  .flatMap((worker) => worker.lines)
  .filter((line) => line.startsWith("{"))
  .map((line) => JSON.parse(line) as Event)
  .filter((event) => event.event === "model_call_started" || event.event === "model_call_completed")
  // A call that ends in the same millisecond another starts gave its permit back first.
  .sort((a, b) => a.time - b.time || (a.event === "model_call_completed" ? -1 : 1));
const inFlight: Record<string, number> = {};
const most: Record<string, number> = {};
for (const event of events) {
  inFlight[event.tier] = (inFlight[event.tier] ?? 0) + (event.event === "model_call_started" ? 1 : -1);
  most[event.tier] = Math.max(most[event.tier] ?? 0, inFlight[event.tier]!);
}
const by = (pid: number) => events.filter((event) => event.pid === pid && event.event === "model_call_started").length;
console.log(
  `\nThe swarm: 3 workers, 30 tasks (fast wrong twice, deep right), all complete in ${run.seconds.toFixed(1)} s`,
);
console.log(`model calls started per worker: ${workers.map((worker) => by(worker.child.pid)).join(", ")}`);
console.log("\n| tier | limit | most in flight (events, all workers) | most in flight (the model's count) |");
console.log("| --- | ---: | ---: | ---: |");
for (const [tier, alias, limit] of [
  ["fast", "fast-coder", 4],
  ["deep", "deep-coder", 1],
] as const)
  console.log(`| ${tier} | ${limit} | ${most[tier] ?? 0} | ${fake.maxInFlight[alias] ?? 0} |`);
await redis.stop();
rmSync(root, { recursive: true, force: true });
