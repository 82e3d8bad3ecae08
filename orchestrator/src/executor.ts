// One attempt: prompt → model → patch → apply. Verification is the orchestrator's next step.
import type { Config } from "./config.ts";
import { PatchRejected } from "./errors.ts";
import type { Logger } from "./log.ts";
import type { ModelClient } from "./model.ts";
import { planPatch } from "./patch/index.ts";
import { extractDiff } from "./patch/extract.ts";
import { buildMessages, type AttemptFeedback } from "./prompt.ts";
import type { Router } from "./router.ts";
import type { Tier } from "./task.ts";
import { applyChanges, readOwned } from "./workspace.ts";

export type PreparedTask = {
  taskId: string;
  root: string;
  description: string;
  filesOwned: string[];
  verify: string[];
  startTier: Tier;
  maxAttempts: number;
};
export type AttemptDeps = { router: Router; model: ModelClient; log: Logger; patch: Config["patch"]; signal?: AbortSignal };
export type AttemptResult =
  | { outcome: "applied"; diff: string; linesChanged: number }
  | { outcome: "patch_rejected"; reason: string; diff: string | null };

async function readFiles(task: PreparedTask): Promise<Map<string, string | null>> {
  const files = new Map<string, string | null>();
  for (const rel of task.filesOwned) files.set(rel, await readOwned(task.root, rel));
  return files;
}

export async function runAttempt(
  task: PreparedTask,
  attempt: number,
  tier: Tier,
  feedback: AttemptFeedback[],
  deps: AttemptDeps,
): Promise<AttemptResult> {
  const { log, router } = deps;
  const files = await readFiles(task);
  const format = deps.patch.formats[tier];
  const messages = buildMessages({ description: task.description, files, verify: task.verify, feedback, format });
  const model = router.modelFor(tier);
  log.info({ event: "model_call_start", tier, model, attempt }, "model call start");
  const completion = await router.withTier(tier, () =>
    deps.model.complete({
      model,
      messages,
      signal: deps.signal,
      onRetry: (notice) => log.warn({ event: "model_call_retry", tier, ...notice }, "model call retry"),
    }),
  );
  log.info(
    {
      event: "model_call_complete",
     
      tier,
      model,
      attempt,
      tokens: completion.tokensIn + completion.tokensOut,
      tokensIn: completion.tokensIn,
      tokensOut: completion.tokensOut,
      costUsd: completion.costUsd,
      durationMs: completion.durationMs,
      retries: completion.retries,
    },
    "model call complete",
  );
  try {
    const plan = planPatch({ reply: completion.text, files, maxChangedLines: deps.patch.maxChangedLines, smallFileBytes: deps.patch.smallFileBytes });
    await applyChanges(task.root, plan.changes);
    log.info(
      { event: "patch_applied", attempt, linesChanged: plan.linesChanged, format: plan.format, files: plan.changes.map((c) => c.path), diff: plan.diff },
      "patch applied",
    );
    return { outcome: "applied", diff: plan.diff, linesChanged: plan.linesChanged };
  } catch (error) {
    if (!(error instanceof PatchRejected)) throw error;
    const reason = error.message;
    log.warn({ event: "patch_rejected", attempt, reason }, "patch rejected");
    return { outcome: "patch_rejected", reason, diff: extractDiff(completion.text) ?? completion.text };
  }
}
