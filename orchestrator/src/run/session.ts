// What every command that runs tasks shares: config, events, the model client, tier permits, the run store,
// and (only when a HumanEval task needs it) the warm pytest grader. One place to open them, one to close them.
import type pino from "pino";
import type { Config } from "../config/config.ts";
import type { PreparedTask } from "../task/prepared.ts";
import { startGrader, type Grader } from "../verify/grader.ts";
import { storeJournal } from "./journal.ts";
import { ExitCode, exitCodeFor, InternalError } from "../errors.ts";
import { createLogger, logFilePath, type Logger } from "../log/log.ts";
import { createModelClient, type ModelClient } from "../models/client.ts";
import { runTask, type TaskOutcome } from "./loop.ts";
import type { LandingHooks } from "./edits.ts";
import { createRouter, type Router } from "../models/permits.ts";
import { proxyRoot, waitUntilReady } from "../models/health.ts";
import { readinessGate } from "../models/readiness.ts";
import { openSandbox, type Sandbox } from "../sandbox/sandbox.ts";
import { registerSecret, secretValues } from "../log/secrets.ts";
import { openSharedLimits } from "../models/sharedPermits.ts";
import { redisPassword } from "../config/sections.ts";
import { stackApiKey } from "../stack/lifecycle.ts";
import { openStore, type RunStore } from "../store/store.ts";
import { emit } from "../log/events.ts";

export type Session = {
  config: Config;
  log: Logger;
  /** The values no log line may hold (API keys, the master key): for another logger of the same session. */
  secrets: string[];
  /** The file the events are copied to; null with --no-log-file. */
  logFile: string | null;
  /** A bug is recorded with its stack trace (an internal_error event) and comes back as InternalError naming the log file; other errors come back as they are. */
  crashed(error: unknown): unknown;
  router: Router;
  model: ModelClient;
  store: RunStore;
  /** Opens the sandbox (self-test included) on first use; later calls get the same one. */
  sandbox(): Promise<Sandbox>;
  /** Starts the grader on first use; later calls get the same one. */
  grader(): Promise<Grader>;
  close(): Promise<void>;
};
export type SessionOptions = {
  pretty: boolean;
  logFile: boolean;
  /** Where events go instead of stdout (the benchmark keeps stdout for its progress and summary). */
  destination?: pino.DestinationStream;
};

/** Before the first model call: wait for the proxy's /health/readiness, with an event while it is not ready. */
async function proxyReady(endpoint: Config["endpoint"], log: Logger, signal?: AbortSignal): Promise<void> {
  if (endpoint.readyTimeoutMs === 0) return;
  const started = performance.now();
  const url = proxyRoot(endpoint.url);
  const readiness = await waitUntilReady(endpoint.url, {
    timeoutMs: endpoint.readyTimeoutMs,
    signal,
    onWait: (probe) =>
      emit(
        log,
        "endpoint_not_ready",
        {
          url,
          ...(probe.state === "unreachable" ? { reason: probe.reason } : { status: probe.status }),
          timeoutMs: endpoint.readyTimeoutMs,
        },
        { message: "waiting for the proxy to be ready" },
      ),
  });
  const waitedMs = Math.round(performance.now() - started);
  if (readiness.kind === "ready") emit(log, "endpoint_ready", { url, waitedMs }, { message: "proxy ready" });
  else
    emit(
      log,
      "endpoint_ready",
      { url, readinessRoute: false, status: readiness.status, waitedMs },
      { message: "endpoint has no readiness route; not a LiteLLM proxy" },
    );
}

export function openSession(config: Config, options: SessionOptions): Session {
  // LITELLM_API_KEY, or the local stack's own key for a proxy on this machine (smol-coder stack up).
  const apiKey = stackApiKey(process.env, config.endpoint.url);
  const logDir = options.logFile ? config.logDir : null;
  const logFile = logDir ? logFilePath(logDir) : null;
  // The Redis passwords (the limits', the queue's) from the config, wherever they were given.
  const redisSecrets = [config.limits.redis, config.daemon.queue === "sqlite" ? null : config.daemon.queue]
    .map((url) => (url ? redisPassword(url) : null))
    .filter((password): password is string => password !== null);
  for (const password of redisSecrets) registerSecret(password);
  const secrets = [...secretValues(process.env), ...(apiKey ? [apiKey] : []), ...redisSecrets];
  const log = createLogger({
    level: process.env.LOG_LEVEL,
    pretty: options.pretty,
    logDir,
    secrets,
    destination: options.destination,
  });
  const store = openStore(config.db);
  let grader: Promise<Grader> | null = null;
  let sandbox: Promise<Sandbox> | null = null;
  const redis = config.limits.redis;
  const shared = redis ? openSharedLimits({ ...config.limits, redis }, log) : null;
  const openedSandbox = () =>
    (sandbox ??= openSandbox(config.sandbox, { unsafe: !config.sandbox.enabled }).then((opened) => {
      const fields = { enabled: opened.enabled, isolation: opened.description };
      if (opened.enabled) emit(log, "sandbox_ready", fields);
      else
        emit(log, "sandbox_ready", fields, {
          level: "warn",
          message: "SANDBOX DISABLED: model-written code runs unjailed",
        });
      return opened;
    }));
  return {
    config,
    log,
    secrets,
    logFile,
    crashed(error) {
      if (exitCodeFor(error) !== ExitCode.internal || error instanceof InternalError) return error;
      emit(log, "internal_error", { err: error });
      return new InternalError(error, logFile);
    },
    router: createRouter(config.tiers, config.roles, shared?.permits),
    model: createModelClient({
      ...config.endpoint,
      apiKey,
      readiness: readinessGate((signal) => proxyReady(config.endpoint, log, signal)),
    }),
    store,
    sandbox: openedSandbox,
    grader: () =>
      (grader ??= openedSandbox().then((opened) =>
        startGrader({
          python: config.humaneval.python,
          concurrency: config.humaneval.graderConcurrency,
          sandbox: opened,
          log,
        }),
      )),
    async close() {
      if (grader) await (await grader.catch(() => null))?.close();
      await shared?.close();
      store.close();
    },
  };
}

/** Runs one prepared task as part of a recorded run: its task row, its journal, its outcome. */
export async function runRecordedTask(
  session: Session,
  task: PreparedTask,
  options: {
    runId: string;
    commit: boolean;
    debugDir?: string;
    signal?: AbortSignal;
    log?: Logger;
    landing?: LandingHooks;
    commitTrailer?: string;
  },
): Promise<TaskOutcome> {
  const { config, store } = session;
  const sandbox = await session.sandbox();
  const grader = task.check.kind === "pytest" ? await session.grader() : undefined;
  const taskId = store.startTask(options.runId, { taskKey: task.key, kind: task.kind });
  const outcome = await runTask(task, {
    router: session.router,
    model: session.model,
    log: options.log ?? session.log,
    prices: config.prices,
    patch: config.patch,
    policy: config.policy,
    guidance: config.guidance,
    verify: config.verify,
    humaneval: config.humaneval,
    grader,
    sandbox,
    journal: storeJournal(store, taskId, { debugDir: options.debugDir, taskKey: task.key }),
    commit: options.commit,
    commitTrailer: options.commitTrailer,
    signal: options.signal,
    landing: options.landing,
  }).catch((error: unknown) => {
    // An error no status covers (the grader died, a bug): the record says so, never 'running'.
    store.finishTask(taskId, {
      status: options.signal?.aborted ? "interrupted" : "crashed",
      attempts: 0,
      finalTier: null,
      passedFirstAttempt: null,
      wallMs: 0,
    });
    throw error;
  });
  store.finishTask(taskId, {
    status: outcome.status,
    attempts: outcome.totalAttempts,
    finalTier: outcome.finalTier,
    passedFirstAttempt: outcome.totalAttempts > 0 ? outcome.passedFirstAttempt : null,
    wallMs: outcome.wallMs,
  });
  return outcome;
}
