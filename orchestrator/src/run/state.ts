// The task loop's state and the pure functions that fold each event into it: an attempt's record, a model
// call, an escalation, a checkpoint. The loop (loop.ts) does the I/O; every decision about what it knows is here.
import type { Guidance } from "../guidance/guidance.ts";
import type { AttemptFeedback } from "../guidance/prompt.ts";
import type { AttemptSummary } from "./policy.ts";
import type { AttemptOutcome, CallRecord, ChatMessage, Checkpoint, Role, TaskStatus, Tier, Usage } from "../types.ts";
import { addUsage, EMPTY_USAGE } from "../types.ts";

/** Everything one attempt produced: what the journal stores and what the loop learns from. */
export type AttemptRecord = {
  n: number;
  tier: Tier;
  prompt: ChatMessage[];
  reply: string;
  /** The applied diff, or the rejected reply's diff; null when the reply held none or changed nothing. */
  diff: string | null;
  outcome: AttemptOutcome;
  /** The engine's remarks on the reply (a refusal, files left out, nothing changed), then the checks' errors. */
  errors: string[];
  /** How many of errors are the engine's remarks (the rest are the checks'); absent: none. */
  notes?: number;
  verificationOutput: string;
  /** The output of the check that failed alone ("" when none failed, or a failure no command printed). */
  failedOutput?: string;
  /** The owned files as the reply left them, where it changed any (the chat layout's retry shows them). */
  filesLeft?: Record<string, string | null>;
  durationMs: number;
  /** Passed in the task's private view, but not landed: these owned files changed in the workspace meanwhile. */
  conflict?: { files: string[]; diff: string };
  /** Files the reply also wrote that the task does not own: left out, the owned edits applied. */
  ignored?: string[];
  /** Passed with the owned files as they were (patch.acceptUnchanged): nothing to land or commit. */
  unchanged?: true;
};

export type LoopState = {
  history: AttemptSummary[];
  /** What the next attempt is shown of the earlier ones. */
  feedback: AttemptFeedback[];
  tier: Tier;
  lastErrors: string[];
  guidance: Guidance;
  escalations: number;
  usage: Partial<Record<Role, Usage>>;
};

export type TaskOutcome = {
  taskId: string;
  status: TaskStatus;
  totalAttempts: number;
  finalTier: Tier;
  /** The first attempt passed, before any test feedback reached a model. */
  passedFirstAttempt: boolean;
  /** Each attempt's tier and outcome, in order: benchmarks report the share of replies refused before any test. */
  history: AttemptSummary[];
  escalations: number;
  checkpoints: number;
  lastErrors: string[];
  usage: Partial<Record<Role, Usage>>;
  wallMs: number;
  commit?: string;
  /** Why git refused to commit the verified change (status uncommitted), and what to do. */
  commitRefused?: { reason: string; fix: string };
  /** Status conflict: the owned files changed in the workspace meanwhile, and the verified diff that was not landed. */
  conflict?: { files: string[]; diff: string };
  /** Complete with the owned files as they were (patch.acceptUnchanged): nothing landed or committed. */
  unchanged?: true;
};

export function initialState(startTier: Tier): LoopState {
  return {
    history: [],
    feedback: [],
    tier: startTier,
    lastErrors: [],
    guidance: { spec: null, checkpoints: [] },
    escalations: 0,
    usage: {},
  };
}

/**
 * An attempt's record joins the history. Failures the model can learn from (a refused patch, failed checks)
 * become feedback; a prompt that did not fit does not, since the model never saw the whole prompt.
 */
export function foldAttempt(state: LoopState, record: AttemptRecord): LoopState {
  const { outcome } = record;
  const learnable = outcome === "patch_rejected" || outcome === "verification_failed";
  return {
    ...state,
    history: [
      ...state.history,
      { tier: record.tier, outcome, ...(record.ignored?.length ? { ignored: record.ignored.length } : {}) },
    ],
    lastErrors: record.errors,
    feedback: learnable
      ? [
          ...state.feedback,
          {
            attempt: record.n,
            tier: record.tier,
            kind: outcome,
            diff: record.diff,
            errors: record.errors,
            exchange: {
              reply: record.reply,
              notes: record.errors.slice(0, record.notes ?? 0),
              output: record.failedOutput ?? "",
              errors: record.errors.slice(record.notes ?? 0),
              ...(record.filesLeft ? { files: record.filesLeft } : {}),
            },
          },
        ]
      : state.feedback,
  };
}

export function foldCall(state: LoopState, call: CallRecord): LoopState {
  const after: Usage = addUsage(state.usage[call.role] ?? EMPTY_USAGE, {
    calls: 1,
    tokensIn: call.tokensIn,
    tokensOut: call.tokensOut,
    tokensCached: call.tokensCached,
    costUsd: call.costUsd,
    modelMs: call.latencyMs,
    computeMs: call.computeMs ?? 0,
    computedCalls: call.computeMs === null ? 0 : 1,
  });
  return { ...state, usage: { ...state.usage, [call.role]: after } };
}

export function foldEscalation(state: LoopState, toTier: Tier): LoopState {
  return { ...state, tier: toTier, escalations: state.escalations + 1 };
}

export function foldSpec(state: LoopState, spec: string | null): LoopState {
  return { ...state, guidance: { ...state.guidance, spec } };
}

export function foldCheckpoint(state: LoopState, checkpoint: Checkpoint | null): LoopState {
  if (!checkpoint) return state;
  return { ...state, guidance: { ...state.guidance, checkpoints: [...state.guidance.checkpoints, checkpoint] } };
}

/** Pure: the outcome a task ends with, from its state. */
export function taskOutcome(
  taskId: string,
  state: LoopState,
  status: TaskStatus,
  wallMs: number,
  extra: Partial<TaskOutcome> = {},
): TaskOutcome {
  return {
    taskId,
    status,
    totalAttempts: state.history.length,
    finalTier: state.tier,
    passedFirstAttempt: state.history[0]?.outcome === "passed",
    history: state.history,
    escalations: state.escalations,
    checkpoints: state.guidance.checkpoints.length,
    lastErrors: state.lastErrors,
    usage: state.usage,
    wallMs,
    ...extra,
  };
}
