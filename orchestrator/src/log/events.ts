// The event catalogue: every event a run prints (one JSON line each), its level, its fields and what it means.
// Code emits through `emit`, so an event or a field that is not here does not compile; docs/events.md's table is
// rendered from here (bun run events:docs) and a test keeps the two in step. Names are noun then action, in the
// past tense (`task_completed`) or a state (`endpoint_ready`). An event renamed keeps its old name in `was`, listed
// in the docs with the version that renamed it.
import { z } from "zod";
import type { Logger } from "pino";

type Level = "debug" | "info" | "warn" | "error" | "fatal";
type Spec = { level: Level; about: string; fields: z.ZodObject; was?: string };

const tier = z.string().describe("a tier, spec-writer or mentor");
const attempt = z.number().int().describe("the attempt's number");
const attemptOrNone = z.number().int().nullable().describe("the attempt's number; null for a spec");
const files = z.array(z.string()).describe("workspace-relative paths");
const reason = z.string().describe("why, in words");
const tally = {
  totalAttempts: z.number().int(),
  finalTier: z.string(),
};
const err = z.unknown().describe("the error: type, message, stack");
const daemonTask = z.string().optional().describe("the daemon's task id (every event of a daemon task carries it)");

/** The version that renamed the events marked `was` (their old names are listed in the docs). */
export const RENAMED_IN = "0.3.0";

export const EVENTS = {
  orchestrator_started: {
    level: "info",
    about: "a `run` began",
    was: "orchestrator_startup",
    fields: z.object({ version: z.string(), runId: z.string(), endpoint: z.string(), workspace: z.string() }),
  },
  task_created: {
    level: "info",
    about: "a task was prepared and starts at `tier`",
    fields: z.object({
      kind: z.string().describe("workspace or humaneval"),
      key: z.string(),
      tier,
      description: z.string(),
      files,
      verify: z.array(z.string()).describe("the checks, as labels"),
    }),
  },
  sandbox_ready: {
    level: "info",
    about: "the sandbox's self-test passed (a warning with `enabled: false` under `--unsafe-no-sandbox`)",
    fields: z.object({ enabled: z.boolean(), isolation: z.string() }),
  },
  sandbox_disabled: {
    level: "warn",
    about: "this task's verification runs without a sandbox",
    fields: z.object({ flag: z.string() }),
  },
  endpoint_not_ready: {
    level: "warn",
    about: "the proxy is not ready yet (once per state)",
    was: "endpoint_waiting",
    fields: z.object({
      url: z.string(),
      reason: z.string().optional(),
      status: z.number().int().optional(),
      timeoutMs: z.number(),
    }),
  },
  endpoint_ready: {
    level: "info",
    about: "the proxy answered ready (`readinessRoute: false`: an endpoint without `/health/readiness`)",
    fields: z.object({
      url: z.string(),
      waitedMs: z.number(),
      readinessRoute: z.literal(false).optional(),
      status: z.number().int().optional(),
    }),
  },
  limits_shared: {
    level: "info",
    about: "the tier and role limits are leases on this Redis (limits.redis), shared with every process using it",
    fields: z.object({ redis: z.string().describe("the URL, any password hidden"), prefix: z.string() }),
  },
  limits_redis_lost: {
    level: "warn",
    about: "the limits' Redis stopped answering: calls wait for their permits until it is back",
    fields: z.object({ redis: z.string(), reason }),
  },
  limits_redis_back: {
    level: "info",
    about: "the limits' Redis answers again",
    fields: z.object({ redis: z.string() }),
  },
  permit_lease_lost: {
    level: "warn",
    about:
      "a call's permit lease expired while it ran (Redis unreachable for longer than limits.leaseMs): the tier's limit may be exceeded until it ends",
    fields: z.object({ tier }),
  },
  spec_written: {
    level: "info",
    about: "the spec writer wrote the task's spec",
    fields: z.object({ model: z.string(), chars: z.number().int(), spec: z.string() }),
  },
  spec_reused: {
    level: "info",
    about: "a stored spec for the same task and model was used",
    fields: z.object({ model: z.string(), chars: z.number().int(), promptVersion: z.string() }),
  },
  checkpoint_written: {
    level: "info",
    about: "the mentor reviewed the attempts so far",
    was: "checkpoint",
    fields: z.object({
      n: z.number().int(),
      stage: z.string().describe("strategy, test-criteria or debugging"),
      afterAttempt: z.number().int(),
      fromTier: z.string(),
      toTier: z.string(),
      sections: z.array(z.string()),
    }),
  },
  model_call_queued: {
    level: "info",
    about: "a call asked for its tier's permit",
    fields: z.object({
      tier,
      model: z.string(),
      attempt: attemptOrNone,
      position: z.number().int().describe("0: a permit was free; 1: next in line"),
      inFlight: z.number().int(),
      concurrency: z.number().int(),
    }),
  },
  model_call_started: {
    level: "info",
    about: "the permit is held (`model_call_completed` comes before it is let go)",
    was: "model_call_start",
    fields: z.object({ tier, model: z.string(), attempt: attemptOrNone }),
  },
  model_call_retried: {
    level: "warn",
    about: "a call failed in a way worth retrying, and is tried again after `delayMs`",
    was: "model_call_retry",
    fields: z.object({ tier, model: z.string(), retry: z.number().int(), delayMs: z.number(), failure: z.string() }),
  },
  model_call_completed: {
    level: "info",
    about: "a call returned",
    was: "model_call_complete",
    fields: z.object({
      tier,
      model: z.string(),
      attempt: attemptOrNone,
      tokens: z.number().int(),
      tokensIn: z.number().int(),
      tokensOut: z.number().int(),
      tokensCached: z.number().int().nullable(),
      costUsd: z.number().nullable(),
      costSource: z.string().describe("header, table or unpriced"),
      durationMs: z.number().describe("the call's latency, queueing at the server included"),
      computeMs: z
        .number()
        .nullable()
        .describe("the server's own compute time (llama.cpp: prompt + generation); null when it did not say"),
      retries: z.number().int(),
    }),
  },
  prompt_history_shortened: {
    level: "warn",
    about: "the prompt did not fit, so it is asked again once with the last attempt's errors only (no diff)",
    fields: z.object({
      tier,
      attempt,
      reason,
      tokensIn: z.number().int().nullable(),
      contextTokens: z.number().int().nullable(),
    }),
  },
  prompt_too_long: {
    level: "error",
    about: "the prompt does not fit the model's context",
    fields: z.object({
      tier,
      model: z.string().optional(),
      attempt: attemptOrNone,
      reason,
      tokensIn: z.number().int().nullable().optional(),
      contextTokens: z.number().int().nullable().optional(),
      fix: z.string().optional(),
    }),
  },
  patch_applied: {
    level: "info",
    about: "the reply's edit was applied",
    fields: z.object({
      attempt,
      linesChanged: z.number().int(),
      format: z.string(),
      files,
      diff: z.string().describe("the applied change, unified"),
    }),
  },
  patch_files_ignored: {
    level: "warn",
    about: "the reply also wrote files the task does not own; those edits were not applied",
    fields: z.object({ attempt, files, applied: files }),
  },
  patch_rejected: {
    level: "warn",
    about:
      "the reply's edit was refused: before any check ran, or, for a reply that changed nothing, because the checks pass without a change",
    fields: z.object({ attempt, reason }),
  },
  patch_unchanged: {
    level: "info",
    about: "the reply left the owned files as they were: the checks run on them as they stand, nothing is written",
    fields: z.object({ attempt, reason }),
  },
  verification_started: {
    level: "info",
    about: "the checks began",
    was: "verification_start",
    fields: z.object({ attempt, commands: z.array(z.string()) }),
  },
  verification_passed: {
    level: "info",
    about: "every check passed",
    was: "verification_pass",
    fields: z.object({ attempt, durationMs: z.number() }),
  },
  verification_failed: {
    level: "warn",
    about: "a check failed; its errors go back to the model",
    was: "verification_fail",
    fields: z.object({
      attempt,
      command: z.string(),
      errorCount: z.number().int(),
      errors: z.array(z.string()),
      durationMs: z.number(),
    }),
  },
  change_landed: {
    level: "info",
    about: "a daemon task's verified change was written to the workspace (`rechecked`: verified again first)",
    fields: z.object({ attempt, files, rechecked: z.boolean() }),
  },
  landing_recheck_failed: {
    level: "warn",
    about: "the workspace changed during verification and the change no longer passes on it",
    fields: z.object({ attempt }),
  },
  task_escalated: {
    level: "warn",
    about: "the next attempt runs at a higher tier",
    was: "escalation",
    fields: z.object({ fromTier: z.string(), toTier: z.string(), reason }),
  },
  task_completed: {
    level: "info",
    about: "verified and kept (committed with `--commit`)",
    was: "task_complete",
    fields: z.object({
      ...tally,
      passedFirstAttempt: z.boolean(),
      commit: z.string().nullish(),
      unchanged: z
        .boolean()
        .optional()
        .describe("the passing reply left the owned files as they were (patch.acceptUnchanged): nothing landed"),
    }),
  },
  commit_failed: {
    level: "error",
    about: "git refused to commit the verified change",
    fields: z.object({ reason, fix: z.string(), files }),
  },
  task_uncommitted: {
    level: "warn",
    about: "verified, kept in the working tree, not committed (exit 5)",
    fields: z.object({ ...tally, passedFirstAttempt: z.boolean(), reason, fix: z.string() }),
  },
  task_aborted: {
    level: "warn",
    about: "the attempts are used up (or the endpoint failed): the files are restored",
    was: "task_abort",
    fields: z.object({ reason, ...tally, lastErrors: z.array(z.string()) }),
  },
  task_conflicted: {
    level: "error",
    about: "verified, not landed: these owned files were changed meanwhile (exit 5)",
    was: "task_conflict",
    fields: z.object({ files, diff: z.string(), ...tally }),
  },
  endpoint_unreachable: {
    level: "error",
    about: "the model endpoint could not be reached",
    fields: z.object({ reason }),
  },
  endpoint_rejected: {
    level: "error",
    about: "the model endpoint refused the request",
    fields: z.object({ reason }),
  },
  workspace_locked: {
    level: "warn",
    about: "waiting for the run that holds the workspace (once per holder)",
    fields: z.object({
      workspace: z.string(),
      holderPid: z.number().int(),
      holderHost: z.string().optional(),
      since: z.string().optional(),
      lockFile: z.string().optional(),
      daemonTask,
    }),
  },
  workspace_lock_reclaimed: {
    level: "warn",
    about: "the lock of a run that is gone was taken over",
    was: "workspace_lock_stale",
    fields: z.object({ workspace: z.string(), holderPid: z.number().int().nullable(), reason }),
  },
  interrupt_received: {
    level: "warn",
    about: "the first stops the work; the second only says to wait; the third quits",
    fields: z.object({ signal: z.string(), count: z.number().int() }),
  },
  internal_error: {
    level: "fatal",
    about: "a bug: the run exits 70 (the daemon logs it and goes on)",
    fields: z.object({ err, daemonTask }),
  },
  bench_started: {
    level: "info",
    about: "a benchmark run began",
    was: "bench_start",
    fields: z.object({
      runId: z.string(),
      benchmark: z.string().optional(),
      track: z.string().optional(),
      problems: z.number().int(),
      resumed: z.number().int().optional(),
      todo: z.number().int().optional(),
      concurrency: z.number().int(),
    }),
  },
  problem_crashed: {
    level: "error",
    about: "an error ended one problem without a verdict; the run goes on",
    fields: z.object({ taskId: z.string(), err }),
  },
  bench_stopped: {
    level: "error",
    about: "the run stops itself: the endpoint looks down (`--resume` redoes the unreachable problems)",
    fields: z.object({ reason, inARow: z.number().int() }),
  },
  bench_completed: {
    level: "info",
    about: "a benchmark run ended, with its summary",
    was: "bench_complete",
    fields: z
      .object({
        runId: z.string(),
        benchmark: z.string().optional(),
        interrupted: z.boolean(),
        stoppedUnreachable: z
          .number()
          .int()
          .optional()
          .describe("unreachable problems in a row, when it stopped itself"),
      })
      .catchall(z.unknown()),
  },
  grader_ready: {
    level: "info",
    about: "the HumanEval grader's process is up",
    fields: z.object({ pid: z.number().int().optional(), pytest: z.string().optional(), startMs: z.number() }),
  },
  grader_exited: {
    level: "warn",
    about: "the grader's process ended; what it was running fails and a new one starts",
    was: "grader_exit",
    fields: z.object({ pid: z.number().int().optional(), reason, running: z.number().int() }),
  },
  grader_stuck: {
    level: "error",
    about: "a grading ran past its time; the grader is killed",
    fields: z.object({ pid: z.number().int().optional(), id: z.string() }),
  },
  grader_reply_unmatched: {
    level: "warn",
    about: "the grader answered a job nobody is waiting for",
    fields: z.object({ id: z.string().nullable(), status: z.string().nullable() }),
  },
  grader_protocol_error: {
    level: "error",
    about: "the grader wrote a line that is not its protocol; it is killed",
    fields: z.object({ line: z.string() }),
  },
  daemon_ready: {
    level: "info",
    about:
      "the daemon answers on its socket (and TCP with `--listen`); a `worker` has no socket, `serve --no-work` runs no task (maxTasks 0)",
    fields: z.object({
      socket: z.string().nullable(),
      queue: z.string().describe("sqlite, or the Redis queue's URL (any password hidden)"),
      listen: z.string().optional(),
      tokenFile: z.string().optional(),
      pid: z.number().int(),
      version: z.string(),
      recovered: z.number().int(),
      maxTasks: z.number().int(),
    }),
  },
  task_started: {
    level: "info",
    about: "the daemon started a queued task",
    fields: z.object({ runId: z.string(), workspace: z.string(), starts: z.number().int() }),
  },
  task_recovered: {
    level: "warn",
    about: "a task a killed daemon was running, its files put back, queued again",
    fields: z.object({ daemonTask, starts: z.number().int(), undoneFiles: z.unknown() }),
  },
  queue_redis_lost: {
    level: "warn",
    about:
      "the queue's Redis stopped answering: no task is taken and no end recorded until it is back; running tasks go on",
    fields: z.object({ queue: z.string(), reason }),
  },
  queue_redis_back: {
    level: "info",
    about: "the queue's Redis answers again",
    fields: z.object({ queue: z.string() }),
  },
  queue_not_persistent: {
    level: "warn",
    about: "the queue's Redis has neither the append-only file nor snapshots on: a restart of it loses the queue",
    fields: z.object({ queue: z.string(), detail: z.string() }),
  },
  task_already_landed: {
    level: "warn",
    about:
      "a daemon task started again finds its own commit in the workspace (a daemon killed between the commit and the queue's record): it ends complete, nothing applied twice",
    fields: z.object({ daemonTask, commit: z.string() }),
  },
  task_lost: {
    level: "warn",
    about:
      "Redis queue: this daemon's lease on a running task lapsed (cut off from Redis for longer than daemon.leaseMs); the task stops here and another daemon runs it",
    fields: z.object({ daemonTask }),
  },
  task_failed: {
    level: "error",
    about: "a daemon task that ended with an error rather than a status",
    fields: z.object({ exitCode: z.number().int(), reason }),
  },
  daemon_drain_started: {
    level: "info",
    about: "the daemon stops taking tasks and waits for the running ones",
    was: "daemon_draining",
    fields: z.object({ running: z.number().int(), drainTimeoutMs: z.number() }),
  },
  daemon_stopped: { level: "info", about: "the daemon ended", fields: z.object({}) },
} as const satisfies Record<string, Spec>;

export type EventName = keyof typeof EVENTS;
export type EventFields<N extends EventName> = z.input<(typeof EVENTS)[N]["fields"]>;

/**
 * Writes one event (nowhere without a logger): its catalogued level unless `level` says otherwise (a warning where a setting makes the usual
 * event one), and `message` as the line's text (the event's meaning by default).
 */
export function emit<N extends EventName>(
  log: Logger | undefined,
  name: N,
  fields: EventFields<N>,
  options: { level?: Level; message?: string } = {},
): void {
  const spec: Spec = EVENTS[name];
  const line: object = { event: name, ...fields };
  log?.[options.level ?? spec.level](line, options.message ?? spec.about);
}
