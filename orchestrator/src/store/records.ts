// What the run store holds, as plain types: the store (store.ts) writes and reads them, analysis.ts reports them.
import type { CostSource } from "../models/pricing.ts";
import type {
  AttemptOutcome,
  ChatMessage,
  Checkpoint,
  CheckpointStage,
  Role,
  TaskStatus,
  Tier,
  Usage,
} from "../types.ts";

export type { CheckpointStage, CostSource, Role };
export type RunKind = "run" | "bench";
export type TaskKind = "workspace" | "humaneval";
/** How a task (or a run) ended. For a bench, "complete" means every task ran to an end, not that every task passed. */
export type FinalStatus = TaskStatus;
/** A run or task is `running` from its start until finished; one left `running` was killed. */
export type Status = "running" | FinalStatus;

export type TaskFinish = {
  status: FinalStatus;
  attempts: number;
  finalTier: Tier | null;
  passedFirstAttempt: boolean | null;
  wallMs: number;
};
export type Attempt = {
  n: number;
  tier: Tier;
  prompt: ChatMessage[];
  reply: string;
  diff: string | null;
  outcome: AttemptOutcome;
  errors: string[];
  verificationOutput: string | null;
  durationMs: number;
};
export type ModelCall = {
  /** Null for calls that belong to no attempt (the spec writer). */
  attempt: number | null;
  role: Role;
  alias: string;
  tokensIn: number;
  tokensOut: number;
  tokensCached: number;
  latencyMs: number;
  /** Null exactly when costSource is "unpriced". */
  costUsd: number | null;
  costSource: CostSource;
  retries: number;
};
export type Spec = { text: string; model: string; promptVersion: string };
/** `key` is the caller's hash of problem text, spec model and prompt version. */
export type SpecToSave = Spec & { key: string; taskId: number | null };
/** A mentor checkpoint as stored: the parsed checkpoint and the text it was parsed from. */
export type CheckpointRecord = Checkpoint & { text: string };

export type RunSummary = {
  id: string;
  kind: RunKind;
  startedAt: string;
  finishedAt: string | null;
  status: Status;
  tasks: number;
  solved: number;
  costUsd: number;
};
/** `costUsd` leaves out the `unpricedCalls`, whose cost is unknown. */
export type RoleUsage = Usage & { unpricedCalls: number };
export type TaskDetail = {
  id: number;
  taskKey: string;
  kind: TaskKind;
  status: Status;
  attempts: number;
  finalTier: Tier | null;
  passedFirstAttempt: boolean | null;
  wallMs: number | null;
  tokensIn: number;
  tokensOut: number;
  costUsd: number;
  byRole: Partial<Record<Role, RoleUsage>>;
  checkpoints: CheckpointRecord[];
};
export type RunDetail = {
  run: {
    id: string;
    kind: RunKind;
    startedAt: string;
    finishedAt: string | null;
    status: Status;
    args: Record<string, unknown>;
  };
  tasks: TaskDetail[];
};

/** Pure: `r-20261122-143012-ab12`, UTC, so ids sort by start time; the suffix separates runs started in the same second. */
export function runIdFor(now: Date, suffix: string): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return `r-${stamp}-${suffix}`;
}
