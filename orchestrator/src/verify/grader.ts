// The pytest grader: one warm python process (grader.py) that runs each test file in a fresh forked child,
// while the candidate's code runs in a separate sandboxed process (candidate.py) that the tests call into.
// This side queues requests, jails each candidate, matches replies, and restarts a server that died.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { ERROR_LIMITS, HUMANEVAL_DEFAULTS } from "../config/config.ts";
import { GraderUnavailable } from "../errors.ts";
import { gradeReply, type Grade, type GraderReply } from "./grade.ts";
import { spawnServer, type Server } from "./graderProcess.ts";
import { writeHelpers } from "./python/index.ts";
import type { Logger } from "../log/log.ts";
import type { Jail, Sandbox } from "../sandbox/sandbox.ts";
import { emit } from "../log/events.ts";

export { gradeReply, type Grade, type GradeStatus } from "./grade.ts";

export type GraderOptions = {
  /** Jails each candidate; its limits (memory, processes, files) apply to the candidate's process. */
  sandbox: Sandbox;
  /** Python with pytest (config humaneval.python, which SMOL_CODER_PYTHON sets); python3 on PATH when absent. */
  python?: string;
  /** Test files running at once; one per core is right for CPU-bound tests. */
  concurrency?: number;
  log?: Logger;
  /** How long python may take to import pytest and say it is ready. */
  startTimeoutMs?: number;
};
export type GradeRequest = {
  /** The directory the candidate's code is imported from (cwd and first on sys.path). */
  workspace: string;
  testFile: string;
  /** How many tests the file must report, all passed; fewer (a test deleted or never collected) fails. */
  expectedTests: number;
  timeoutMs: number;
  /** Address-space limit of the candidate (config humaneval.memoryMb; its default when absent). */
  memoryMb?: number;
  /** Each failure line is trimmed to this (config verify.maxErrorChars; its default when absent). */
  maxErrorChars?: number;
  signal?: AbortSignal;
};
export type GraderStats = { serverPid: number | null; starts: number; running: number; queued: number };
export type Grader = {
  grade(request: GradeRequest): Promise<Grade>;
  stats(): GraderStats;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
};

const SOLUTION_MODULE = "solution";
const OUTPUT_BYTES = 64 * 1024;
/** A reply later than the request's own timeout plus this means the server is stuck. */
const REPLY_GRACE_MS = 10_000;
const CLOSE_TIMEOUT_MS = 5_000;

type Job = {
  id: string;
  request: GradeRequest;
  resolve(grade: Grade): void;
  reject(error: unknown): void;
  /** Resolved or rejected already. An aborted job that was running still holds its slot until the server answers. */
  settled: boolean;
  server?: Server;
  watchdog?: Timer;
  jail?: Jail;
};

export async function startGrader(options: GraderOptions): Promise<Grader> {
  const python = options.python ?? "python3";
  const concurrency = Math.max(1, options.concurrency ?? 2);
  const log = options.log;
  const rootDir = await mkdtemp(path.join(tmpdir(), "smol-grader-"));
  // Beside rootDir, not in it: rootDir stays empty for pytest's initial collection.
  const helpers = await writeHelpers(await mkdtemp(path.join(tmpdir(), "smol-grader-helpers-")));
  /** What the sandbox needs to read besides the interpreter: the candidate's host and the wire format. */
  const candidateFiles = [helpers.candidate, helpers.wire];
  const removeDirs = () =>
    Promise.all([rm(rootDir, { recursive: true, force: true }), rm(helpers.dir, { recursive: true, force: true })]);
  const queue: Job[] = [];
  const running = new Map<string, Job>();
  let server: Server | null = null;
  let starting: Promise<Server> | null = null;
  let starts = 0;
  let nextId = 1;
  let closed = false;

  function onReply(reply: GraderReply): void {
    const job = reply.id === null ? undefined : running.get(reply.id);
    if (!job) return emit(log, "grader_reply_unmatched", { id: reply.id, status: reply.status });
    running.delete(job.id);
    clearTimeout(job.watchdog);
    void job.jail?.dispose();
    const { timeoutMs, workspace, testFile, expectedTests } = job.request;
    if (!job.settled)
      job.resolve(
        gradeReply(reply, expectedTests, {
          timeoutMs,
          workspace,
          testFile,
          maxLineChars: job.request.maxErrorChars ?? ERROR_LIMITS.maxErrorChars,
        }),
      );
    pump();
  }

  function onServerDeath(dead: Server, reason: string): void {
    if (server === dead) server = null;
    if (!closed) emit(log, "grader_exited", { pid: dead.pid, reason, running: running.size });
    for (const job of running.values()) {
      if (job.server !== dead) continue;
      running.delete(job.id);
      clearTimeout(job.watchdog);
      void job.jail?.dispose();
      if (!job.settled) {
        job.reject(
          new GraderUnavailable(
            `the grader process died while this test ran (${reason})`,
            "grade again: the next call starts a fresh grader",
          ),
        );
      }
    }
    if (!closed) pump();
  }

  async function ensureServer(): Promise<Server> {
    if (server) return server;
    starting ??= spawnServer(python, helpers.grader, rootDir, options.startTimeoutMs ?? 30_000, onReply, log)
      .then((fresh) => {
        starts += 1;
        server = fresh;
        void fresh.done.then((reason) => onServerDeath(fresh, reason));
        return fresh;
      })
      .finally(() => (starting = null));
    return starting;
  }

  function pump(): void {
    if (closed || queue.length === 0 || running.size >= concurrency) return;
    if (!server) {
      // A start failure fails only the requests waiting for it; the next grade() tries again.
      if (!starting) ensureServer().then(pump, (error) => queue.splice(0).forEach((job) => job.reject(error)));
      return;
    }
    while (running.size < concurrency && queue.length > 0) send(queue.shift()!, server);
  }

  function send(job: Job, to: Server): void {
    job.server = to;
    running.set(job.id, job);
    const { workspace, testFile, timeoutMs, memoryMb } = job.request;
    const { executable, prefixes } = to.python;
    options.sandbox
      .jail({
        workspace,
        writable: false,
        command: [executable, "-I", helpers.candidate, workspace, SOLUTION_MODULE],
        readOnly: [...prefixes, path.dirname(executable), ...candidateFiles],
        limitAddressSpace: true,
      })
      .then(
        (jail) => {
          job.jail = jail;
          if (job.settled || running.get(job.id) !== job) {
            // Aborted, or its server died, while the jail was being made.
            if (running.get(job.id) === job) running.delete(job.id);
            void jail.dispose();
            return pump();
          }
          const candidate = { argv: jail.argv, env: jail.env };
          to.send({
            id: job.id,
            module: SOLUTION_MODULE,
            testFile,
            timeoutMs,
            memoryMb: memoryMb ?? HUMANEVAL_DEFAULTS.memoryMb,
            outputBytes: OUTPUT_BYTES,
            candidate,
          });
          job.watchdog = setTimeout(() => {
            emit(log, "grader_stuck", { pid: to.pid, id: job.id });
            to.child.kill("SIGKILL"); // its death rejects everything it was running
          }, timeoutMs + REPLY_GRACE_MS);
        },
        (error) => {
          running.delete(job.id);
          if (!job.settled) job.reject(error);
          pump();
        },
      );
  }

  function abort(job: Job): void {
    if (job.settled) return;
    job.reject(job.request.signal?.reason ?? new DOMException("the grade was aborted", "AbortError"));
    const queued = queue.indexOf(job);
    if (queued >= 0) queue.splice(queued, 1);
    else if (running.has(job.id)) job.server?.send({ id: job.id, cancel: true });
  }

  function grade(request: GradeRequest): Promise<Grade> {
    if (closed) return Promise.reject(new GraderUnavailable("the grader was closed", "start a new grader"));
    return new Promise<Grade>((resolve, reject) => {
      const job: Job = { id: String(nextId++), request, resolve, reject, settled: false };
      const onAbort = () => abort(job);
      const { signal } = request;
      const settle = () => {
        job.settled = true;
        signal?.removeEventListener("abort", onAbort);
      };
      job.resolve = (value) => (settle(), resolve(value));
      job.reject = (error) => (settle(), reject(error));
      if (signal?.aborted) return onAbort();
      signal?.addEventListener("abort", onAbort, { once: true });
      queue.push(job);
      pump();
    });
  }

  async function close(): Promise<void> {
    if (closed) return;
    closed = true;
    for (const job of queue.splice(0)) job.reject(new GraderUnavailable("the grader was closed", "start a new grader"));
    const last = server ?? (await starting?.catch(() => null)) ?? null;
    if (last) {
      last.child.stdin.end(); // the server finishes what is running, then exits
      // A cleared timer, not Bun.sleep: a pending sleep would keep the process alive for its full length.
      const timer = setTimeout(() => last.child.kill("SIGKILL"), CLOSE_TIMEOUT_MS);
      await last.done;
      clearTimeout(timer);
    }
    await removeDirs();
  }

  try {
    await ensureServer();
  } catch (error) {
    await removeDirs();
    throw error;
  }
  return {
    grade,
    stats: () => ({ serverPid: server?.pid ?? null, starts, running: running.size, queued: queue.length }),
    close,
    [Symbol.asyncDispose]: close,
  };
}
