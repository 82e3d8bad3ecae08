// One attempt: prompt → model → patch → apply. Checking the result is the orchestrator's next step.
import { callModel, type CallDeps } from "../models/calls.ts";
import type { Check } from "../verify/check.ts";
import { checkLabels } from "../verify/check.ts";
import type { Config } from "../config/config.ts";
import { PatchRejected, PromptTooLong } from "../errors.ts";
import { planPatch } from "../patch/index.ts";
import { extractDiff } from "../patch/extract.ts";
import { buildMessages, type AttemptFeedback } from "../guidance/prompt.ts";
import { applyChanges, readOwned } from "../task/workspace.ts";
import type { ChatMessage, Tier } from "../types.ts";

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
};
export type AttemptDeps = CallDeps & { patch: Config["patch"] };
export type AttemptResult = { prompt: ChatMessage[]; reply: string } & (
  | { outcome: "applied"; diff: string; linesChanged: number }
  | { outcome: "patch_rejected"; reason: string; diff: string | null }
  | { outcome: "prompt_too_long"; error: PromptTooLong; diff: null }
);

export async function readFiles(task: Pick<PreparedTask, "root" | "filesOwned">): Promise<Map<string, string | null>> {
  const files = new Map<string, string | null>();
  for (const rel of task.filesOwned) files.set(rel, await readOwned(task.root, rel));
  return files;
}

export async function runAttempt(
  task: PreparedTask,
  attempt: { n: number; tier: Tier; feedback: AttemptFeedback[]; guidance: string },
  deps: AttemptDeps,
): Promise<AttemptResult> {
  const { log } = deps;
  const files = await readFiles(task);
  const format = deps.patch.formats[attempt.tier];
  const prompt = buildMessages({ description: task.description, guidance: attempt.guidance, files, verify: checkLabels(task.check), feedback: attempt.feedback, format });
  let reply: string;
  try {
    ({ text: reply } = await callModel(deps, { role: attempt.tier, attempt: attempt.n, messages: prompt }));
  } catch (error) {
    if (error instanceof PromptTooLong) return { prompt, reply: "", outcome: "prompt_too_long", error, diff: null };
    throw error;
  }
  try {
    const plan = planPatch({ reply, files, maxChangedLines: deps.patch.maxChangedLines, smallFileBytes: deps.patch.smallFileBytes });
    await applyChanges(task.root, plan.changes);
    log.info(
      { event: "patch_applied", attempt: attempt.n, linesChanged: plan.linesChanged, format: plan.format, files: plan.changes.map((c) => c.path), diff: plan.diff },
      "patch applied",
    );
    return { prompt, reply, outcome: "applied", diff: plan.diff, linesChanged: plan.linesChanged };
  } catch (error) {
    if (!(error instanceof PatchRejected)) throw error;
    const reason = error.message;
    log.warn({ event: "patch_rejected", attempt: attempt.n, reason }, "patch rejected");
    return { prompt, reply, outcome: "patch_rejected", reason, diff: extractDiff(reply) ?? reply };
  }
}
