// Benchmark results, the pure part: one result line per problem, the summary, and the markdown report.
// Two numbers are kept apart on purpose: pass@1 (the first attempt, before any test feedback) and the solve
// rate with test feedback (after repairs, mentor checkpoints and escalation, which all saw the tests' failures).
import { z } from "zod";
import type { Price } from "../../config/config.ts";
import { frontierEstimate } from "../../models/pricing.ts";
import { PUBLISHED, type BaselineSummary } from "../../humaneval/baseline.ts";
import { renderUsageTable, usageByRole } from "../usage.ts";
import { ROLES, Role, TaskStatus, Tier, Usage } from "../../types.ts";

export const ResultLine = z.object({
  taskId: z.string(),
  status: TaskStatus.exclude(["interrupted"]),
  solved: z.boolean(),
  passedFirstAttempt: z.boolean(),
  attempts: z.number().int().min(0),
  finalTier: Tier,
  escalations: z.number().int().min(0),
  checkpoints: z.number().int().min(0),
  usage: z.partialRecord(Role, Usage),
  tokensIn: z.number().min(0),
  tokensOut: z.number().min(0),
  /** Absent in result lines written before the prompt cache was counted. */
  tokensCached: z.number().min(0).default(0),
  costUsd: z.number().min(0),
  wallMs: z.number().min(0),
  /** What ended a problem that got no verdict (the grader died, the endpoint refused): its error's name and message. */
  error: z.string().optional(),
});
export type ResultLine = z.infer<typeof ResultLine>;

export type Summary = {
  total: number;
  solved: number;
  /** Fraction solved by the first attempt, before any test feedback. */
  passAt1: number;
  /** Fraction solved in the end, with test feedback, checkpoints and escalation. Not pass@1. */
  solveRateWithFeedback: number;
  solvedByFinalTier: Record<Tier, number>;
  notSolved: { abort: number; unreachable: number; rejected: number; crashed: number };
  meanAttempts: number;
  escalations: number;
  checkpoints: number;
  byRole: Partial<Record<(typeof ROLES)[number], Usage>>;
  tokensIn: number;
  tokensOut: number;
  /** Share of prompt tokens the model servers read from their prompt cache (retries repeat the task's prefix). */
  promptCacheHitRate: number;
  costUsd: number;
  frontierOnly: { estimateUsd: number; savingUsd: number; method: string };
  wallSeconds: number;
};

const round = (value: number, places = 4) => Math.round(value * 10 ** places) / 10 ** places;
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

export function summarise(lines: readonly ResultLine[], reviewerPrice: Price, wallSeconds: number): Summary {
  const total = lines.length;
  const solved = lines.filter((l) => l.solved);
  const byRole = usageByRole(lines.map((line) => line.usage));
  const tokensIn = sum(lines.map((l) => l.tokensIn));
  const tokensOut = sum(lines.map((l) => l.tokensOut));
  const tokensCached = sum(lines.map((l) => l.tokensCached));
  const costUsd = sum(lines.map((l) => l.costUsd));
  const estimate = frontierEstimate({ tokensIn, tokensOut, costUsd }, reviewerPrice);
  const ratio = (count: number) => (total === 0 ? 0 : round(count / total));
  return {
    total,
    solved: solved.length,
    passAt1: ratio(lines.filter((l) => l.passedFirstAttempt).length),
    solveRateWithFeedback: ratio(solved.length),
    solvedByFinalTier: {
      fast: solved.filter((l) => l.finalTier === "fast").length,
      deep: solved.filter((l) => l.finalTier === "deep").length,
      reviewer: solved.filter((l) => l.finalTier === "reviewer").length,
    },
    notSolved: {
      abort: lines.filter((l) => l.status === "abort").length,
      unreachable: lines.filter((l) => l.status === "unreachable").length,
      rejected: lines.filter((l) => l.status === "rejected").length,
      crashed: lines.filter((l) => l.status === "crashed").length,
    },
    meanAttempts: total === 0 ? 0 : round(sum(lines.map((l) => l.attempts)) / total, 2),
    escalations: sum(lines.map((l) => l.escalations)),
    checkpoints: sum(lines.map((l) => l.checkpoints)),
    byRole,
    tokensIn,
    tokensOut,
    promptCacheHitRate: tokensIn === 0 ? 0 : round(tokensCached / tokensIn),
    costUsd: round(costUsd, 6),
    frontierOnly: {
      estimateUsd: round(estimate.estimateUsd, 6),
      savingUsd: round(estimate.savingUsd, 6),
      method: `every token of the run, all tiers and advisors, priced at the reviewer's rates ($${reviewerPrice.inputPerMTok}/M input, $${reviewerPrice.outputPerMTok}/M output); a frontier model alone might use fewer tokens, so this is an estimate, not a measurement`,
    },
    wallSeconds: round(wallSeconds, 1),
  };
}

const percent = (ratio: number) => `${(ratio * 100).toFixed(1)}%`;
const usd = (value: number) => `$${value.toFixed(4)}`;

export function renderReport(
  summary: Summary,
  lines: readonly ResultLine[],
  title: string,
  baselines: readonly BaselineSummary[] = [],
  charts: readonly { file: string; title: string }[] = [],
): string {
  const out = [
    `# ${title}`,
    "",
    "| measure | value |",
    "| --- | --- |",
    `| problems | ${summary.total} |`,
    `| pass@1 (first attempt, before any test feedback) | ${percent(summary.passAt1)} |`,
    `| solve rate with test feedback (repairs, checkpoints, escalation) | ${percent(summary.solveRateWithFeedback)} (${summary.solved}/${summary.total}) |`,
    `| solved at fast / deep / reviewer | ${summary.solvedByFinalTier.fast} / ${summary.solvedByFinalTier.deep} / ${summary.solvedByFinalTier.reviewer} |`,
    `| not solved: aborted / endpoint unreachable / rejected / crashed (no verdict: --resume redoes these) | ${summary.notSolved.abort} / ${summary.notSolved.unreachable} / ${summary.notSolved.rejected} / ${summary.notSolved.crashed} |`,
    `| mean attempts | ${summary.meanAttempts} |`,
    `| escalations / checkpoints | ${summary.escalations} / ${summary.checkpoints} |`,
    `| tokens in / out | ${summary.tokensIn} / ${summary.tokensOut} |`,
    `| prompt tokens read from the model servers' cache | ${percent(summary.promptCacheHitRate)} |`,
    `| cost | ${usd(summary.costUsd)} |`,
    `| frontier-only estimate | ${usd(summary.frontierOnly.estimateUsd)} (saving ${usd(summary.frontierOnly.savingUsd)}) |`,
    `| wall time | ${summary.wallSeconds} s |`,
    "",
    `Frontier-only estimate: ${summary.frontierOnly.method}.`,
    "",
    ...baselineSection(summary, baselines),
    ...charts.flatMap((chart) => [`![${chart.title}](${chart.file})`, ""]),
    "## By role",
    "",
    ...renderUsageTable([
      { name: "smol-coder", byRole: summary.byRole, solved: summary.solved },
      ...baselines.map((b) => ({
        name: `${b.tier} model asked directly`,
        byRole: { [b.tier]: b.usage },
        solved: b.solved,
      })),
    ]),
    "",
    "| role | cost |",
    "| --- | ---: |",
    ...ROLES.filter((role) => summary.byRole[role]).map(
      (role) => `| ${role} | ${usd(summary.byRole[role]!.costUsd)} |`,
    ),
    "",
    "## Problems",
    "",
    "| problem | solved | first attempt | attempts | final tier | cost | seconds |",
    "| --- | --- | --- | ---: | --- | ---: | ---: |",
    ...lines.map(
      (l) =>
        `| ${l.taskId} | ${l.solved ? "yes" : l.status} | ${l.passedFirstAttempt ? "pass" : "fail"} | ${l.attempts} | ${l.finalTier} | ${usd(l.costUsd)} | ${(l.wallMs / 1000).toFixed(1)} |`,
    ),
    "",
  ];
  return out.join("\n");
}

/** Each model asked directly beside smol-coder's two numbers: pass@1 at the fast tier and the solve rate with feedback. */
function baselineSection(summary: Summary, baselines: readonly BaselineSummary[]): string[] {
  if (baselines.length === 0) return [];
  const firstAttempt = Math.round(summary.passAt1 * summary.total);
  return [
    "## Against the direct baselines (same run, same grader)",
    "",
    "| measure | passed | rate | tokens out | seconds (sum over problems) |",
    "| --- | ---: | ---: | ---: | ---: |",
    ...baselines.map(
      (b) =>
        `| ${b.tier} model (${b.model}) asked directly: pass@1, zero-shot, greedy | ${b.solved}/${b.total} | ${percent(b.passAt1)} | ${b.tokensOut} | ${b.wallSeconds} |`,
    ),
    `| smol-coder pass@1: first attempt at the start tier, no feedback | ${firstAttempt}/${summary.total} | ${percent(summary.passAt1)} | | |`,
    `| smol-coder solve rate with test feedback (cascade) | ${summary.solved}/${summary.total} | ${percent(summary.solveRateWithFeedback)} | ${summary.tokensOut} | ${summary.wallSeconds} (run) |`,
    "",
    `Published: ${PUBLISHED}. Those are bf16 weights on the EvalPlus harness; these are Q4_K_M GGUFs on this machine.`,
    "",
  ];
}
