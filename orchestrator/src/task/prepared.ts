// A task ready to run: checked against its workspace (or given a fresh HumanEval one), its check chosen.
import type { Check } from "../verify/check.ts";
import type { Tier } from "../types.ts";

export type PreparedTask = {
  taskId: string;
  /** "workspace" for repositories, "humaneval" for benchmark problems. */
  kind: "workspace" | "humaneval";
  /** Stable name in records and reports: a HumanEval id, or the start of the description. */
  key: string;
  root: string;
  description: string;
  filesOwned: string[];
  check: Check;
  startTier: Tier;
  maxAttempts: number;
  /** "private": attempts never write the workspace; a verified change lands on it (the daemon). Default: in place. */
  edits?: "in-place" | "private";
};
