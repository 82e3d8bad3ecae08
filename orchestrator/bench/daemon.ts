// Benchmark: what a task pays for going through the daemon. Interleaved in one run, the same one-attempt task
// (the fake model answers at once, verification is `true`) as `smol-coder run --no-daemon` and as
// `smol-coder submit --wait` to a daemon: the wall time of each client process, their medians and difference, the
// daemon's own queue wait (submitted → started, from its queue), and the daemon's resident memory when idle.
// Run: bun run bench/daemon.ts [--tasks N]
import { Database } from "bun:sqlite";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { startFakeModel } from "../test/fakeModel.ts";

const { values } = parseArgs({ options: { tasks: { type: "string", default: "10" } } });
const TASKS = Number(values.tasks);
const CLI = path.join(import.meta.dir, "..", "src", "index.ts");
const REPLY = "```diff\n--- a/value.txt\n+++ b/value.txt\n@@ -1 +1 @@\n-start\n+changed\n```\n";
const TASK = JSON.stringify({ description: "change it", filesOwned: ["value.txt"], verify: ["true"] });

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) / 1024;

const root = mkdtempSync(path.join(tmpdir(), "smol-bench-daemon-"));
const fake = startFakeModel({ fallback: { "fast-coder": REPLY } });
const socket = path.join(root, "run", "daemon.sock");
const env = {
  ...process.env,
  LITELLM_URL: fake.url,
  SMOL_CODER_DB: path.join(root, "runs.db"),
  XDG_DATA_HOME: path.join(root, "data"),
  SMOL_CODER_SOCKET: socket,
};

async function timed(args: string[]): Promise<number> {
  const dir = mkdtempSync(path.join(root, "ws-"));
  writeFileSync(path.join(dir, "value.txt"), "start\n");
  const started = performance.now();
  const child = Bun.spawn(["bun", "run", CLI, "--no-log-file", ...args, "--workspace", dir], {
    env,
    stdin: new TextEncoder().encode(TASK),
    stdout: "ignore",
    stderr: "pipe",
  });
  const code = await child.exited;
  const ms = performance.now() - started;
  if (code !== 0 || readFileSync(path.join(dir, "value.txt"), "utf8") !== "changed\n")
    throw new Error(`${args.join(" ")} exited ${code}: ${await new Response(child.stderr).text()}`);
  return ms;
}

const daemon = Bun.spawn(["bun", "run", CLI, "--no-log-file", "serve", "--socket", socket], {
  env,
  stdout: "pipe",
  stderr: "inherit",
});
const reader = daemon.stdout.getReader();
for (let seen = ""; !seen.includes('"event":"daemon_ready"'); )
  seen += new TextDecoder().decode((await reader.read()).value);
void (async () => {
  while (!(await reader.read()).done);
})();
await Bun.sleep(2_000);
const idleBefore = rssMb(daemon.pid);
const inProcess: number[] = [];
const viaDaemon: number[] = [];
await timed(["run", "--no-daemon"]); // warm-up: the file cache, bun's transpile cache
await timed(["submit", "--wait"]);
for (let i = 0; i < TASKS; i++) {
  inProcess.push(await timed(["run", "--no-daemon"]));
  viaDaemon.push(await timed(["submit", "--wait"]));
}
await Bun.sleep(2_000);
const idleAfter = rssMb(daemon.pid);
const db = new Database(env.SMOL_CODER_DB, { readonly: true });
const waits = db
  .query<{ ms: number }, []>(
    "SELECT (julianday(started_at) - julianday(submitted_at)) * 86400000 AS ms FROM queue WHERE state = 'done' ORDER BY seq",
  )
  .all()
  .slice(1)
  .map((row) => row.ms);
db.close();
daemon.kill("SIGTERM");
await daemon.exited;
await fake.stop();
rmSync(root, { recursive: true, force: true });

const f = (ms: number) => `${Math.round(ms)} ms`;
console.log(`one-attempt task, ${TASKS} of each, interleaved; wall time of the client process (bun start-up included)`);
console.log(
  `  run --no-daemon (in-process): median ${f(median(inProcess))}  [${inProcess.map(Math.round).join(", ")}]`,
);
console.log(
  `  submit --wait (daemon):       median ${f(median(viaDaemon))}  [${viaDaemon.map(Math.round).join(", ")}]`,
);
console.log(`  difference of medians (daemon - in-process): ${f(median(viaDaemon) - median(inProcess))}`);
console.log(`  the daemon's queue wait, submitted -> started: median ${f(median(waits))}`);
console.log(
  `daemon resident memory when idle: ${idleBefore.toFixed(1)} MB after start, ${idleAfter.toFixed(1)} MB after ${TASKS + 1} tasks`,
);
