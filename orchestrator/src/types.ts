// The types every folder shares, each a zod schema and its inferred type under one name, so records read back
// from the store or a results file are checked against the same definition the code writes them with.
import { z } from "zod";

/** The coding tiers, in escalation order. */
export const TIERS = ["fast", "deep", "reviewer"] as const;
export const Tier = z.enum(TIERS);
export type Tier = z.infer<typeof Tier>;

/** Who a model call is for: a coding tier, or an advisor (spec writer before attempt 1, mentor at checkpoints). */
export const ROLES = [...TIERS, "spec-writer", "mentor"] as const;
export const Role = z.enum(ROLES);
export type Role = z.infer<typeof Role>;

/**
 * How a task ended. uncommitted: verification passed but git refused the commit; the change stays in the working
 * tree. conflict: verification passed in the task's private view, but an owned file was changed in the workspace
 * meanwhile, so the change was not landed over it (the verified diff is in the records).
 */
export const TaskStatus = z.enum([
  "complete",
  "uncommitted",
  "conflict",
  "abort",
  "unreachable",
  "rejected",
  "interrupted",
  "crashed",
]);
export type TaskStatus = z.infer<typeof TaskStatus>;
/** Pure: whether a status judges the model's work (solved or not). The others say the run could not judge it: a resumed benchmark redoes them. */
export function isVerdict(status: TaskStatus): boolean {
  return status === "complete" || status === "uncommitted" || status === "conflict" || status === "abort";
}

/** prompt_too_long: the prompt did not fit the tier's context, so the same tier cannot do better. */
export const AttemptOutcome = z.enum(["passed", "verification_failed", "patch_rejected", "prompt_too_long"]);
export type AttemptOutcome = z.infer<typeof AttemptOutcome>;

export const ChatMessage = z.object({ role: z.enum(["system", "user", "assistant"]), content: z.string() });
export type ChatMessage = z.infer<typeof ChatMessage>;

/** Model calls and their tokens and cost, summed for one role. */
export const Usage = z.object({
  calls: z.number().int().min(0),
  tokensIn: z.number().min(0),
  tokensOut: z.number().min(0),
  /** The part of tokensIn the server read from its prompt cache (0 in records written before it was kept). */
  tokensCached: z.number().min(0).default(0),
  costUsd: z.number().min(0),
  /** Milliseconds the calls took, queueing at the server included (absent in records written before it was kept). */
  modelMs: z.number().min(0).optional(),
  /**
   * The servers' own compute time of the calls that reported it (llama.cpp: prompt + generation; no queue), and
   * how many did. Absent in records written before it was kept.
   */
  computeMs: z.number().min(0).optional(),
  computedCalls: z.number().int().min(0).optional(),
});
export type Usage = z.infer<typeof Usage>;

export const EMPTY_USAGE: Required<Usage> = {
  calls: 0,
  tokensIn: 0,
  tokensOut: 0,
  tokensCached: 0,
  costUsd: 0,
  modelMs: 0,
  computeMs: 0,
  computedCalls: 0,
};

/** Pure: one usage added to another (records without latency or compute count 0 of each). */
export function addUsage(a: Usage, b: Usage): Required<Usage> {
  return {
    calls: a.calls + b.calls,
    tokensIn: a.tokensIn + b.tokensIn,
    tokensOut: a.tokensOut + b.tokensOut,
    tokensCached: a.tokensCached + b.tokensCached,
    costUsd: a.costUsd + b.costUsd,
    modelMs: (a.modelMs ?? 0) + (b.modelMs ?? 0),
    computeMs: (a.computeMs ?? 0) + (b.computeMs ?? 0),
    computedCalls: (a.computedCalls ?? 0) + (b.computedCalls ?? 0),
  };
}

/** Pure: every role's usage added up (a task's, for its result line). */
export function totalUsage(byRole: Partial<Record<Role, Usage>>): Required<Usage> {
  return Object.values(byRole).reduce<Required<Usage>>((total, usage) => addUsage(total, usage), EMPTY_USAGE);
}

/** Checkpoint 1 adds strategy, checkpoint 2 adds test criteria, later ones only debug. */
export const CheckpointStage = z.enum(["strategy", "test-criteria", "debugging"]);
export type CheckpointStage = z.infer<typeof CheckpointStage>;

export const CheckpointSections = z.object({
  analysis: z.string(),
  rootCause: z.string(),
  fix: z.string(),
  edgeCases: z.string(),
  strategy: z.string().optional(),
  testCriteria: z.string().optional(),
});
export type CheckpointSections = z.infer<typeof CheckpointSections>;

/** A mentor's checkpoint: written at an escalation (or every few failures), read by every later attempt. */
export type Checkpoint = {
  n: number;
  afterAttempt: number;
  fromTier: Tier;
  toTier: Tier;
  stage: CheckpointStage;
  sections: CheckpointSections;
};

/** Where a call's price came from: the proxy's cost header, the config's price table, or nowhere. */
export type CostSource = "header" | "table" | "unpriced";

/** One finished model call, as the journal and the run store keep it. */
export type CallRecord = {
  role: Role;
  alias: string;
  /** The attempt the call belongs to; null for the spec writer, the attempt just failed for the mentor. */
  attempt: number | null;
  tokensIn: number;
  tokensOut: number;
  tokensCached: number;
  latencyMs: number;
  /** The server's own compute time, when it reported one (llama.cpp's timings); null otherwise. */
  computeMs: number | null;
  costUsd: number;
  costSource: CostSource;
  retries: number;
};
