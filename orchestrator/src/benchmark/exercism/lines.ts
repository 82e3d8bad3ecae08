// Pure: the result lines of an Exercism run, one schema per arm: smol-coder's tasks, the field's baseline, the oracle.
import { z } from "zod";
import { AttemptOutcome, Role, TaskStatus, Tier, Usage } from "../../types.ts";

/** smol-coder on one exercise: the task's outcome, with each attempt's tier and outcome. */
export const TaskLine = z.object({
  exercise: z.string(),
  status: TaskStatus.exclude(["interrupted"]),
  solved: z.boolean(),
  startTier: Tier,
  finalTier: Tier,
  /** `ignored`: files the reply also wrote that the task does not own (the tests, mostly): left out, not refused. */
  attempts: z.array(z.object({ tier: Tier, outcome: AttemptOutcome, ignored: z.number().int().optional() })),
  tokensIn: z.number().min(0),
  tokensOut: z.number().min(0),
  /** Model time of every call the task made (attempts, spec, checkpoints), queueing at the server included. */
  modelMs: z.number().min(0),
  /** The servers' own compute time of those calls, when every one reported it (llama.cpp's timings). */
  computeMs: z.number().min(0).optional(),
  /** Every call's usage per tier and role (absent in lines written before it was kept). */
  usage: z.partialRecord(Role, Usage).optional(),
  wallMs: z.number().min(0),
  error: z.string().optional(),
});
export type TaskLine = z.infer<typeof TaskLine>;

export const Try = z.object({
  /** The reply held a listing of the solution file (Aider's whole-file format, read as Aider reads it). */
  wellFormed: z.boolean(),
  passed: z.boolean(),
  tokensIn: z.number().min(0),
  tokensOut: z.number().min(0),
  modelMs: z.number().min(0),
  /** The server's own compute time of the call, when it reported one (llama.cpp's timings). */
  computeMs: z.number().min(0).optional(),
  /** The prompt did not fit the model's context: no reply, not counted among the replies. */
  tooLong: z.boolean().optional(),
});
export type Try = z.infer<typeof Try>;

/** One tier's model asked the field's way: up to two tries, the second with the first's test output. */
export const BaselineLine = z.object({
  exercise: z.string(),
  tier: Tier,
  model: z.string(),
  status: z.enum(["complete", "failed", "unreachable", "crashed"]),
  solved: z.boolean(),
  tries: z.array(Try),
  wallMs: z.number().min(0),
  error: z.string().optional(),
});
export type BaselineLine = z.infer<typeof BaselineLine>;

/** The maintainers' example solution verified like a model's: every exercise must pass, or the harness is wrong. */
export const OracleLine = z.object({
  exercise: z.string(),
  status: z.enum(["complete", "failed", "crashed"]),
  solved: z.boolean(),
  decidedBy: z.string(),
  errors: z.array(z.string()),
  wallMs: z.number().min(0),
});
export type OracleLine = z.infer<typeof OracleLine>;
