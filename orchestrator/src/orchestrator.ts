// The task loop: attempt, verify, feed failures back, escalate by policy, restore on abort.
import { EndpointRejected, EndpointUnreachable } from "./errors.ts";
import { runAttempt, type AttemptDeps, type PreparedTask } from "./executor.ts";
import type { Logger } from "./log.ts";
import { decide, type AttemptSummary, type PolicyLimits } from "./policy.ts";
import type { AttemptFeedback } from "./prompt.ts";
import type { Tier } from "./task.ts";
import { verify, verificationEnv } from "./verifier.ts";
import { commitOwned, restore, snapshot, type Snapshot } from "./workspace.ts";

export type TaskStatus = "complete" | "abort" | "unreachable" | "rejected" | "interrupted";
export type TaskOutcome = {
  taskId: string;
  status: TaskStatus;
  totalAttempts: number;
  finalTier: Tier;
  lastErrors: string[];
  commit?: string;
};
export type OrchestratorDeps = Omit<AttemptDeps, "log"> & {
  log: Logger;
  policy: PolicyLimits;
  verify: { timeoutMs: number; maxErrors: number; maxErrorChars: number };
  commit: boolean;
};

type Progress = { history: AttemptSummary[]; feedback: AttemptFeedback[]; tier: Tier; lastErrors: string[] };

async function attemptOnce(task: PreparedTask, state: Progress, deps: OrchestratorDeps, log: Logger): Promise<void> {
  const attempt = state.history.length + 1;
  const result = await runAttempt(task, attempt, state.tier, state.feedback, { ...deps, log });
  if (result.outcome === "patch_rejected") {
    state.lastErrors = [`patch rejected: ${result.reason}`];
    state.history.push({ tier: state.tier, outcome: "patch_rejected" });
    state.feedback.push({ attempt, tier: state.tier, kind: "patch_rejected", diff: result.diff, errors: state.lastErrors });
    return;
  }
  log.info({ event: "verification_start", attempt, commands: task.verify }, "verification start");
  const verification = await verify({
    cwd: task.root,
    commands: task.verify,
    env: verificationEnv(process.env),
    signal: deps.signal,
    ...deps.verify,
  });
  deps.signal?.throwIfAborted();
  const durationMs = verification.results.reduce((sum, r) => sum + r.durationMs, 0);
  if (verification.passed) {
    log.info({ event: "verification_pass", attempt, durationMs }, "verification pass");
    state.history.push({ tier: state.tier, outcome: "passed" });
    state.lastErrors = [];
    return;
  }
  const { errors } = verification;
  log.warn(
    { event: "verification_fail", attempt, command: verification.failed.command, errorCount: errors.length, errors, durationMs },
    "verification fail",
  );
  state.lastErrors = errors;
  state.history.push({ tier: state.tier, outcome: "verification_failed" });
  state.feedback.push({ attempt, tier: state.tier, kind: "verification_failed", diff: result.diff, errors });
}

function endpointStatus(error: unknown): TaskStatus | null {
  if (error instanceof EndpointUnreachable) return "unreachable";
  if (error instanceof EndpointRejected) return "rejected";
  if (isAbort(error)) return "interrupted";
  return null;
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === "AbortError" || error.constructor.name === "APIUserAbortError");
}

export async function runTask(task: PreparedTask, deps: OrchestratorDeps): Promise<TaskOutcome> {
  const log = deps.log.child({ taskId: task.taskId });
  log.info(
    { event: "task_created", tier: task.startTier, description: task.description, files: task.filesOwned, verify: task.verify },
    "task created",
  );
  const original: Snapshot = await snapshot(task.root, task.filesOwned);
  const state: Progress = { history: [], feedback: [], tier: task.startTier, lastErrors: [] };
  const limits = { ...deps.policy, maxAttempts: task.maxAttempts };
  const outcome = (status: TaskStatus, extra: Partial<TaskOutcome> = {}): TaskOutcome => ({
    taskId: task.taskId,
   
    status,
    totalAttempts: state.history.length,
    finalTier: state.tier,
    lastErrors: state.lastErrors,
    ...extra,
  });
  try {
    for (;;) {
      deps.signal?.throwIfAborted();
      const decision = decide(state.history, task.startTier, limits);
      if (decision.action === "complete") {
        const commit = deps.commit ? await commitOwned(task.root, task.filesOwned, task.description) : undefined;
        const done = outcome("complete", commit ? { commit } : {});
        log.info({ event: "task_complete", totalAttempts: done.totalAttempts, finalTier: done.finalTier, commit }, "task complete");
        return done;
      }
      if (decision.action === "abort") {
        await restore(original);
        const aborted = outcome("abort");
        log.warn({ event: "task_abort", reason: decision.reason, totalAttempts: aborted.totalAttempts, finalTier: aborted.finalTier, lastErrors: aborted.lastErrors }, "task abort");
        return aborted;
      }
      if (decision.action === "escalate") {
        log.warn({ event: "escalation", fromTier: decision.fromTier, toTier: decision.toTier, reason: decision.reason }, "escalation");
        state.tier = decision.toTier;
      }
      // Every attempt starts from the original files; earlier diffs reach the model as feedback.
      await restore(original);
      await attemptOnce(task, state, deps, log);
    }
  } catch (error) {
    await restore(original);
    const status = endpointStatus(error);
    if (status === null) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    if (status === "unreachable") log.error({ event: "endpoint_unreachable", reason }, "model endpoint unreachable");
    if (status === "rejected") log.error({ event: "endpoint_rejected", reason }, "model endpoint refused the request");
    const ended = outcome(status, { lastErrors: [reason] });
    log.error({ event: "task_abort", reason: status, totalAttempts: ended.totalAttempts, finalTier: ended.finalTier, lastErrors: ended.lastErrors }, "task abort");
    return ended;
  }
}
