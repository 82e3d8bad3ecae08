// `smol-coder serve`: one process that takes every client's tasks. It opens the queue and the session, gives back
// what a killed daemon left running, then serves on its unix socket until SIGTERM or Ctrl-C drains it.
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { TaskInvalid } from "../errors.ts";
import { interruptSignal } from "../interrupt.ts";
import { openSession } from "../run/session.ts";
import { currentBootId, pidAlive } from "../task/lock.ts";
import { openSqliteQueue } from "../queue/sqlite.ts";
import { openRedisQueue, type RedisQueueOptions } from "../queue/redis.ts";
import { redactRedisUrl, redisPassword } from "../config/sections.ts";
import { registerSecret } from "../log/secrets.ts";
import type { Config } from "../config/config.ts";
import type { Owner, TaskQueue } from "../queue/queue.ts";
import type { Server } from "bun";
import { VERSION } from "../version.ts";
import { daemonClient } from "./client.ts";
import { createScheduler } from "./scheduler.ts";
import { recoverOrphans } from "./recovery.ts";
import { daemonMetrics, type DaemonMetrics } from "./metrics.ts";
import { startServer, type ServerDeps } from "./server.ts";
import { daemonToken } from "./token.ts";
import { datasetCache } from "./submission.ts";
import { pidFileFor } from "./detach.ts";
import { emit } from "../log/events.ts";

export type ServeOptions = {
  socket: string;
  logFile: boolean;
  /** Answer clients on the socket (and TCP): false for `worker`, which only takes tasks from the queue. */
  api?: boolean;
  /** Take tasks from the queue and run them: false for `serve --no-work`, which only answers clients. */
  work?: boolean;
  signal?: AbortSignal;
  /** Also listen on TCP (opt-in), where every request needs the token in `tokenFile`. */
  listen?: { hostname: string; port: number; tokenFile: string };
};

/** Makes the socket's directory (0700: only this user reaches the socket) and clears a socket no daemon answers on. */
async function claimSocket(socket: string): Promise<void> {
  const dir = path.dirname(socket);
  // Only a directory made here is closed to others (0700); one that exists is left as it is: the socket itself is 0600.
  if (mkdirSync(dir, { recursive: true, mode: 0o700 }) !== undefined) chmodSync(dir, 0o700);
  if (!existsSync(socket)) return;
  const running = await daemonClient(socket)
    .health()
    .catch(() => null);
  if (running)
    throw new TaskInvalid(
      "--socket",
      `a daemon (pid ${running.pid}) already serves on ${socket}`,
      "stop it first (kill -TERM its pid), or pass --socket with another path",
    );
  rmSync(socket, { force: true }); // left by a daemon that was killed
}

/** Whether a daemon recorded as a task's owner still runs: its pid alive, on this boot of the machine. */
const alive = (pid: number, bootId: string | null) => (bootId === null || bootId === currentBootId()) && pidAlive(pid);

/** Tells waiters that a task's state or events changed; a waiter also wakes after a second, whatever happens. */
function notifier() {
  const waiting = new Map<string, Set<() => void>>();
  return {
    notify(id: string) {
      for (const wake of waiting.get(id) ?? []) wake();
      waiting.delete(id);
    },
    changed(id: string): Promise<void> {
      return new Promise((resolve) => {
        const set = waiting.get(id) ?? new Set();
        const timer = setTimeout(resolve, 1_000);
        set.add(() => {
          clearTimeout(timer);
          resolve();
        });
        waiting.set(id, set);
      });
    },
  };
}

/**
 * Where the daemon's events go: its own output, and a task's (those carrying daemonTask) also into the queue, for
 * `logs` and `submit --wait`; each event also feeds the metrics once they exist.
 */
function eventSink(queue: TaskQueue, changes: ReturnType<typeof notifier>) {
  const stdout = Bun.stdout.writer();
  const sink = {
    metrics: undefined as DaemonMetrics | undefined,
    write(line: string) {
      stdout.write(line);
      stdout.flush();
      const event = JSON.parse(line) as { daemonTask?: unknown; event?: unknown };
      sink.metrics?.observe(event);
      if (typeof event.daemonTask === "string") {
        // A queue that cannot take it (a Redis away, or full) loses that line of the task's story, not the daemon.
        queue.appendEvent(event.daemonTask, line).catch(() => undefined);
        changes.notify(event.daemonTask);
      }
    },
  };
  return sink;
}

/** The socket's server, and the TCP one when asked for; the address TCP got, for the ready event. */
function listen(
  deps: ServerDeps,
  options: ServeOptions,
  onError: (error: unknown) => void,
): { servers: Server<undefined>[]; tcp: object } {
  const servers = [startServer(deps, { unix: options.socket }, onError)];
  chmodSync(options.socket, 0o600);
  if (!options.listen) return { servers, tcp: {} };
  const { hostname, port, tokenFile } = options.listen;
  const tcp = startServer(deps, { hostname, port, token: daemonToken(tokenFile) }, onError);
  return { servers: [...servers, tcp], tcp: { listen: `${hostname}:${tcp.port}`, tokenFile } };
}

const aborted = (signal: AbortSignal) =>
  new Promise<void>((resolve) =>
    signal.aborted ? resolve() : signal.addEventListener("abort", () => resolve(), { once: true }),
  );

/**
 * The queue the config names: this machine's run store, or a Redis every daemon on it shares. On Redis the tier
 * limits are shared there too unless limits.redis names another, or the limits would hold per daemon only.
 */
type QueueHooks = Required<Pick<RedisQueueOptions, "onLost" | "onNotPersistent" | "onConnection" | "onWaiting">>;

async function openQueue(
  given: Config,
  hooks: QueueHooks & { works: boolean },
): Promise<{ config: Config; queue: TaskQueue }> {
  const { queue: kind, maxQueued, leaseMs } = given.daemon;
  if (kind === "sqlite") return { config: given, queue: openSqliteQueue(given.db, { maxQueued }) };
  registerSecret(redisPassword(kind) ?? undefined);
  const config = given.limits.redis ? given : { ...given, limits: { ...given.limits, redis: kind } };
  const queue = await openRedisQueue(kind, { maxQueued, prefix: config.limits.prefix, lockMs: leaseMs, ...hooks });
  return { config, queue };
}

export async function serve(given: Config, options: ServeOptions): Promise<number> {
  const api = options.api ?? true;
  const work = options.work ?? true;
  if (api) await claimSocket(options.socket);
  const pidFile = api ? pidFileFor(options.socket) : null;
  if (pidFile) writeFileSync(pidFile, `${process.pid}\n`, { mode: 0o600 });
  let lost = (_id: string) => {};
  let waiting = () => {};
  let notPersistent: string | null = null;
  // Until the session's logger exists the connection is new: a change is said once it can be.
  let connection: QueueHooks["onConnection"] = () => {};
  const { config, queue } = await openQueue(given, {
    onLost: (id) => lost(id),
    onNotPersistent: (detail) => (notPersistent = detail),
    onConnection: (change) => connection(change),
    onWaiting: () => waiting(),
    works: work,
  }).catch((error: unknown) => {
    if (pidFile) rmSync(pidFile, { force: true });
    throw error;
  });
  const changes = notifier();
  const sink = eventSink(queue, changes);
  const session = openSession(config, { pretty: false, logFile: options.logFile, destination: sink });
  const metrics = (sink.metrics = daemonMetrics({ queue, router: session.router }));
  const shown = config.daemon.queue === "sqlite" ? "sqlite" : redactRedisUrl(config.daemon.queue);
  connection = (change) =>
    change.state === "lost"
      ? emit(session.log, "queue_redis_lost", { queue: shown, reason: change.reason })
      : emit(session.log, "queue_redis_back", { queue: shown });
  const owner: Owner = {
    id: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
    pid: process.pid,
    bootId: currentBootId(),
  };
  const startedAt = new Date().toISOString();
  const datasets = datasetCache();
  const { drainTimeoutMs } = config.daemon;
  const maxTasks = work ? config.daemon.maxTasks : 0;
  let draining = false;
  const signal =
    options.signal ??
    interruptSignal({
      cleanup: "draining: waiting for the running tasks",
      onSignal: (notice) => emit(session.log, "interrupt_received", { ...notice }, { message: "signal received" }),
    });
  try {
    await session.sandbox(); // no sandbox: exit 4 now, not a failure in every task later
    const recovered = work ? await recoverOrphans(queue, alive, session, signal) : 0;
    const scheduler = createScheduler({
      session,
      queue,
      owner,
      maxTasks,
      datasets,
      onChange: (id) => changes.notify(id),
      onFinish: (outcome) => metrics.finished(outcome),
    });
    lost = (id) => scheduler.lost(id);
    if (work) waiting = () => scheduler.wake();
    const deps: ServerDeps = {
      config,
      queue,
      scheduler,
      datasets,
      changed: (id) => changes.changed(id),
      draining: () => draining,
      metrics: async () => ({ text: await metrics.text(), contentType: metrics.contentType }),
      health: async () => ({
        version: VERSION,
        pid: process.pid,
        startedAt,
        queue: await queue.counts(),
        running: scheduler.running(),
        maxTasks,
      }),
    };
    const { servers, tcp } = api
      ? listen(deps, options, (error) =>
          emit(session.log, "internal_error", { err: error }, { message: "internal error serving a request" }),
        )
      : { servers: [], tcp: {} };
    emit(session.log, "daemon_ready", {
      socket: api ? options.socket : null,
      queue: shown,
      ...tcp,
      pid: process.pid,
      version: VERSION,
      recovered,
      maxTasks,
    });
    if (notPersistent)
      emit(
        session.log,
        "queue_not_persistent",
        { queue: shown, detail: notPersistent },
        { message: "the queue's Redis keeps nothing on disk" },
      );
    scheduler.wake();
    await aborted(signal);
    draining = true;
    emit(session.log, "daemon_drain_started", { running: scheduler.running(), drainTimeoutMs });
    await scheduler.drain(drainTimeoutMs);
    await Promise.all(servers.map((server) => server.stop(true)));
    emit(session.log, "daemon_stopped", {});
    return 0;
  } catch (error) {
    throw session.crashed(error);
  } finally {
    if (api) rmSync(options.socket, { force: true });
    if (pidFile && readFileSync(pidFile, "utf8").trim() === String(process.pid)) rmSync(pidFile, { force: true });
    await session.close();
    await queue.close();
  }
}
