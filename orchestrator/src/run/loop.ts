// The task loop: spec, attempt, check, feed failures back, checkpoint and escalate by policy, restore on abort.
import { writeCheckpoint, writeSpec, type AdvisorDeps } from "../guidance/advisor.ts";
import type { CallRecord } from "../models/calls.ts";
import { checkLabels, runCheck, type CheckDeps, type CheckResult } from "../verify/check.ts";
import type { Config } from "../config/config.ts";
import { EndpointRejected, EndpointUnreachable, PromptTooLong } from "../errors.ts";
import { readFiles, runAttempt, type AttemptDeps, type PreparedTask } from "./attempt.ts";
import { checkpointDue, renderGuidance, type Guidance } from "../guidance/guidance.ts";
import type { TaskJournal } from "./journal.ts";
import type { Logger } from "../log/log.ts";
import { decide, type AttemptSummary, type PolicyLimits } from "./policy.ts";
import type { AttemptFeedback } from "../guidance/prompt.ts";
import { scrubSecrets } from "../log/secrets.ts";
import { commitOwned, restore, snapshot, type Snapshot } from "../task/workspace.ts";
import type { Role, TaskStatus, Tier, Usage } from "../types.ts";

export type TaskOutcome = {
  taskId: string;
  status: TaskStatus;
  totalAttempts: number;
  finalTier: Tier;
  /** The first attempt passed, before any test feedback reached a model. */
  passedFirstAttempt: boolean;
  escalations: number;
  checkpoints: number;
  lastErrors: string[];
  usage: Partial<Record<Role, Usage>>;
  wallMs: number;
  commit?: string;
};
export type OrchestratorDeps = Omit<AttemptDeps, "onCall"> &
  Omit<CheckDeps, "signal"> & {
    log: Logger;
    policy: PolicyLimits;
    guidance: Config["guidance"];
    journal: TaskJournal;
    commit: boolean;
  };

type Progress = {
  history: AttemptSummary[];
  feedback: AttemptFeedback[];
  tier: Tier;
  lastErrors: string[];
  guidance: Guidance;
  escalations: number;
  usage: Partial<Record<Role, Usage>>;
};

function addUsage(state: Progress, call: CallRecord): void {
  const usage = (state.usage[call.role] ??= { calls: 0, tokensIn: 0, tokensOut: 0, costUsd: 0 });
  usage.calls += 1;
  usage.tokensIn += call.tokensIn;
  usage.tokensOut += call.tokensOut;
  usage.costUsd += call.costUsd;
}

/** Verification output can print the environment's secrets; none reaches a prompt, the journal or the store. */
function scrubbed(result: CheckResult): CheckResult {
  return { ...result, errors: result.errors.map(scrubSecrets), output: scrubSecrets(result.output), decidedBy: scrubSecrets(result.decidedBy) };
}

async function attemptOnce(task: PreparedTask, state: Progress, deps: OrchestratorDeps & { onCall: (c: CallRecord) => void }, log: Logger): Promise<void> {
  const n = state.history.length + 1;
  const tier = state.tier;
  const started = performance.now();
  const guidance = renderGuidance(state.guidance, deps.guidance.reviewsShown);
  const result = await runAttempt(task, { n, tier, feedback: state.feedback, guidance }, { ...deps, log });
  const record = { n, tier, prompt: result.prompt, reply: result.reply, diff: result.diff };
  if (result.outcome === "prompt_too_long") {
    // Not the model's failure: it never saw the whole prompt. No feedback; the policy escalates to a larger context.
    logTooLong(log, tier, result.error, n);
    state.lastErrors = [result.error.message];
    state.history.push({ tier, outcome: "prompt_too_long" });
    deps.journal.attempt({ ...record, outcome: "prompt_too_long", errors: state.lastErrors, verificationOutput: "", durationMs: Math.round(performance.now() - started) });
    return;
  }
  if (result.outcome === "patch_rejected") {
    // The reason can quote the workspace's files (the closest match to a hunk).
    state.lastErrors = [scrubSecrets(`patch rejected: ${result.reason}`)];
    state.history.push({ tier, outcome: "patch_rejected" });
    state.feedback.push({ attempt: n, tier, kind: "patch_rejected", diff: result.diff, errors: state.lastErrors });
    deps.journal.attempt({ ...record, outcome: "patch_rejected", errors: state.lastErrors, verificationOutput: "", durationMs: Math.round(performance.now() - started) });
    return;
  }
  log.info({ event: "verification_start", attempt: n, commands: checkLabels(task.check) }, "verification start");
  const checked = scrubbed(await runCheck(task.check, task.root, { ...deps, signal: deps.signal }, task.filesOwned));
  deps.signal?.throwIfAborted();
  const durationMs = Math.round(performance.now() - started);
  if (checked.passed) {
    log.info({ event: "verification_pass", attempt: n, durationMs: checked.durationMs }, "verification pass");
    state.history.push({ tier, outcome: "passed" });
    state.lastErrors = [];
    deps.journal.attempt({ ...record, outcome: "passed", errors: [], verificationOutput: checked.output, durationMs });
    return;
  }
  const { errors } = checked;
  log.warn(
    { event: "verification_fail", attempt: n, command: checked.decidedBy, errorCount: errors.length, errors, durationMs: checked.durationMs },
    "verification fail",
  );
  state.lastErrors = errors;
  state.history.push({ tier, outcome: "verification_failed" });
  state.feedback.push({ attempt: n, tier, kind: "verification_failed", diff: result.diff, errors });
  deps.journal.attempt({ ...record, outcome: "verification_failed", errors, verificationOutput: checked.output, durationMs });
}

function logTooLong(log: Logger, role: Role, error: PromptTooLong, attempt: number | null): void {
  log.error(
    {
      event: "prompt_too_long",
      tier: role,
      model: error.model,
      attempt,
      reason: error.reason,
      tokensIn: error.tokensIn,
      contextTokens: error.contextTokens,
      fix: "raise num_ctx for this alias in litellm/config.yaml and the tier's contextTokens in the config, or use a model with a larger context",
    },
    "prompt too long for the model's context",
  );
}

/** An advisor whose prompt does not fit gives no advice; the task goes on without it. */
async function unlessTooLong<T>(log: Logger, role: Role, advise: () => Promise<T>): Promise<T | null> {
  try {
    return await advise();
  } catch (error) {
    if (!(error instanceof PromptTooLong)) throw error;
    logTooLong(log, role, error, null);
    return null;
  }
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
  const started = performance.now();
  const log = deps.log.child({ taskId: task.taskId });
  if (!deps.sandbox.enabled) {
    log.warn({ event: "sandbox_disabled", flag: "--unsafe-no-sandbox" }, "UNSAFE: this task's verification runs model-written code without a sandbox");
  }
  log.info(
    { event: "task_created", kind: task.kind, key: task.key, tier: task.startTier, description: task.description, files: task.filesOwned, verify: checkLabels(task.check) },
    "task created",
  );
  const original: Snapshot = await snapshot(task.root, task.filesOwned);
  const state: Progress = { history: [], feedback: [], tier: task.startTier, lastErrors: [], guidance: { spec: null, checkpoints: [] }, escalations: 0, usage: {} };
  const onCall = (call: CallRecord) => {
    addUsage(state, call);
    deps.journal.modelCall(call);
  };
  const advisorDeps: AdvisorDeps = { ...deps, log, onCall, reuseSpec: deps.guidance.reuseSpec };
  const limits = { ...deps.policy, maxAttempts: task.maxAttempts };
  const outcome = (status: TaskStatus, extra: Partial<TaskOutcome> = {}): TaskOutcome => ({
    taskId: task.taskId,
    status,
    totalAttempts: state.history.length,
    finalTier: state.tier,
    passedFirstAttempt: state.history[0]?.outcome === "passed",
    escalations: state.escalations,
    checkpoints: state.guidance.checkpoints.length,
    lastErrors: state.lastErrors,
    usage: state.usage,
    wallMs: Math.round(performance.now() - started),
    ...extra,
  });
  const advice = async (fromTier: Tier, toTier: Tier) => {
    const files = await readFiles(task);
    const checkpoint = await unlessTooLong(log, "mentor", () =>
      writeCheckpoint({ description: task.description, files, guidance: state.guidance, feedback: state.feedback, fromTier, toTier }, advisorDeps),
    );
    if (checkpoint) state.guidance.checkpoints.push(checkpoint);
  };
  try {
    if (deps.guidance.spec) state.guidance.spec = await unlessTooLong(log, "spec-writer", async () => writeSpec({ description: task.description, files: await readFiles(task) }, advisorDeps));
    for (;;) {
      deps.signal?.throwIfAborted();
      const decision = decide(state.history, task.startTier, limits);
      if (decision.action === "complete") {
        const commit = deps.commit ? await commitOwned(task.root, task.filesOwned, task.description) : undefined;
        const done = outcome("complete", commit ? { commit } : {});
        log.info({ event: "task_complete", totalAttempts: done.totalAttempts, finalTier: done.finalTier, passedFirstAttempt: done.passedFirstAttempt, commit }, "task complete");
        return done;
      }
      if (decision.action === "abort") {
        await restore(original);
        const aborted = outcome("abort");
        log.warn({ event: "task_abort", reason: decision.reason, totalAttempts: aborted.totalAttempts, finalTier: aborted.finalTier, lastErrors: aborted.lastErrors }, "task abort");
        return aborted;
      }
      // Advice is asked for with the workspace at its original files, as every attempt sees them.
      await restore(original);
      if (decision.action === "escalate") {
        log.warn({ event: "escalation", fromTier: decision.fromTier, toTier: decision.toTier, reason: decision.reason }, "escalation");
        state.escalations += 1;
        if (deps.guidance.checkpoints) await advice(decision.fromTier, decision.toTier);
        state.tier = decision.toTier;
      } else if (deps.guidance.checkpoints && state.history.length > 0) {
        const failuresAtTier = state.history.filter((a) => a.tier === state.tier).length;
        if (checkpointDue({ escalating: false, failuresAtTier, interval: deps.guidance.checkpointInterval })) await advice(state.tier, state.tier);
      }
      await attemptOnce(task, state, { ...deps, onCall }, log);
    }
  } catch (error) {
    await restore(original);
    const status = endpointStatus(error);
    if (status === null) throw error;
    // An endpoint's refusal can quote the key it was sent.
    const reason = scrubSecrets(error instanceof Error ? error.message : String(error));
    if (status === "unreachable") log.error({ event: "endpoint_unreachable", reason }, "model endpoint unreachable");
    if (status === "rejected") log.error({ event: "endpoint_rejected", reason }, "model endpoint refused the request");
    const ended = outcome(status, { lastErrors: [reason] });
    log.error({ event: "task_abort", reason: status, totalAttempts: ended.totalAttempts, finalTier: ended.finalTier, lastErrors: ended.lastErrors }, "task abort");
    return ended;
  }
}
