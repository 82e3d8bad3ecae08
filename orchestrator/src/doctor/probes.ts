// The probes of this machine for `smol-coder doctor`: short processes (python with pytest, git), the sandbox's
// self-test, the daemon's socket, free disk space. Each has a time limit; machine.ts and daemonCheck.ts decide what
// each answer means.
import { existsSync } from "node:fs";
import { stat, statfs } from "node:fs/promises";
import path from "node:path";
import type { Config } from "../config/config.ts";
import { defaultSocketPath } from "../config/paths.ts";
import { daemonClient } from "../daemon/client.ts";
import { SandboxUnavailable } from "../errors.ts";
import { withoutSecrets } from "../log/secrets.ts";
import { openSandbox } from "../sandbox/sandbox.ts";
import { VERSION } from "../version.ts";
import { Queue } from "bullmq";
import Redis from "ioredis";
import { redactRedisUrl } from "../config/sections.ts";
import { bullPrefix, QUEUE_NAME } from "../queue/redis.ts";
import { persistenceOf } from "../queue/redisConnection.ts";
import { daemonCheck, type DaemonProbe } from "./daemonCheck.ts";
import { queueCheck, type QueueProbe } from "./queueCheck.ts";
import type { CheckResult } from "./doctor.ts";
import { diskCheck, gitCheck, pythonCheck, sandboxCheck, type CommandProbe, type SandboxProbe } from "./machine.ts";

const PROCESS_TIMEOUT_MS = 15_000;
const SANDBOX_TIMEOUT_MS = 20_000;

type Env = Record<string, string | undefined>;

/** The promise's value, or `late` after ms; the timer does not keep the process alive once settled. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, late: T): Promise<T> {
  let timer: Timer | undefined;
  try {
    return await Promise.race([promise, new Promise<T>((resolve) => (timer = setTimeout(() => resolve(late), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs a short command without secrets in its environment, killed at timeoutMs. */
async function runShort(argv: string[], env: Env, timeoutMs: number): Promise<{ probe: CommandProbe; ms: number }> {
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  let child: Bun.Subprocess<"ignore", "pipe", "pipe">;
  try {
    child = Bun.spawn(argv, { env: withoutSecrets(env), stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  } catch (error) {
    return { probe: { kind: "missing", reason: (error as Error).message ?? String(error) }, ms: ms() };
  }
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL");
  }, timeoutMs);
  try {
    const [code, stdout, stderr] = await Promise.all([
      child.exited,
      new Response(child.stdout).text(),
      new Response(child.stderr).text(),
    ]);
    return { probe: { kind: "exited", code, output: `${stdout}\n${stderr}`, timedOut }, ms: ms() };
  } finally {
    clearTimeout(timer);
  }
}

export async function pythonRow(python: string, env: Env): Promise<CheckResult> {
  const { probe, ms } = await runShort([python, "-m", "pytest", "--version"], env, PROCESS_TIMEOUT_MS);
  // The full path says which python answered (a virtualenv's or the system's).
  return pythonCheck(Bun.which(python, { PATH: env.PATH ?? "" }) ?? python, probe, ms);
}

export async function daemonRow(env: Env): Promise<CheckResult> {
  const socket = defaultSocketPath(env);
  const started = performance.now();
  const probe: DaemonProbe = !existsSync(socket)
    ? { kind: "none" }
    : await daemonClient(socket)
        .health()
        .then(
          (health): DaemonProbe => ({
            kind: "answered",
            version: health.version,
            pid: health.pid,
            queued: health.queue.queued,
            running: health.running,
          }),
          (error: unknown): DaemonProbe => ({ kind: "silent", reason: (error as Error).message }),
        );
  return daemonCheck(probe, socket, VERSION, Math.round(performance.now() - started));
}

export async function gitRow(env: Env): Promise<CheckResult> {
  const { probe, ms } = await runShort(["git", "--version"], env, PROCESS_TIMEOUT_MS);
  return gitCheck(probe, ms);
}

export async function sandboxRow(config: Config): Promise<CheckResult> {
  const started = performance.now();
  const opened = openSandbox(config.sandbox, { unsafe: false }).then(
    (sandbox): SandboxProbe => ({ kind: "ready", description: sandbox.description }),
    (error: unknown): SandboxProbe => {
      if (error instanceof SandboxUnavailable) return { kind: "unavailable", reason: error.reason, fix: error.fix };
      return {
        kind: "unavailable",
        reason: `the self-test could not run: ${(error as Error).message ?? String(error)}`,
        fix: "see docs/sandbox.md",
      };
    },
  );
  const probe = await withTimeout(opened, SANDBOX_TIMEOUT_MS, { kind: "timeout" });
  return sandboxCheck(probe, config.sandbox.enabled, Math.round(performance.now() - started));
}

export async function diskRow(place: string, dir: string): Promise<CheckResult> {
  try {
    const info = await statfs(await nearestExisting(dir));
    return diskCheck(place, dir, info.bavail * info.bsize);
  } catch (error) {
    return diskCheck(place, dir, null, (error as Error).message);
  }
}

/** The directory itself, or its closest existing parent (the logs directory is made on first use). */
async function nearestExisting(dir: string): Promise<string> {
  let current = path.resolve(dir);
  while (
    !(await stat(current).then(
      () => true,
      () => false,
    ))
  ) {
    const parent = path.dirname(current);
    if (parent === current) break;
    current = parent;
  }
  return current;
}

/** The queue: SQLite, or the Redis one (asked for its depth, its workers and whether it keeps anything on disk). */
export async function queueRow(config: Config): Promise<CheckResult> {
  const url = config.daemon.queue;
  if (url === "sqlite") return queueCheck({ kind: "sqlite", file: config.db }, "sqlite");
  const shown = redactRedisUrl(url);
  const started = performance.now();
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    connectTimeout: 3_000,
    retryStrategy: () => null,
  });
  redis.on("error", () => undefined);
  const queue = new Queue(QUEUE_NAME, { connection: redis, prefix: bullPrefix(config.limits.prefix) });
  queue.on("error", () => undefined);
  try {
    const probe: QueueProbe = await withTimeout(
      (async (): Promise<QueueProbe> => {
        await redis.ping();
        const counts = await queue.getJobCounts("active", "wait", "prioritized", "delayed");
        const workers = await queue.getWorkersCount().catch(() => null);
        const persistent = (await persistenceOf(redis)) === null;
        return {
          kind: "answered",
          queued: (counts.wait ?? 0) + (counts.prioritized ?? 0) + (counts.delayed ?? 0),
          running: counts.active ?? 0,
          workers,
          persistent,
        };
      })(),
      5_000,
      { kind: "unreachable", reason: "no answer within 5 s" },
    ).catch((error: unknown): QueueProbe => ({ kind: "unreachable", reason: (error as Error).message }));
    return queueCheck(probe, shown, Math.round(performance.now() - started));
  } finally {
    await Promise.race([queue.close(), Bun.sleep(500)]);
    redis.disconnect();
  }
}
