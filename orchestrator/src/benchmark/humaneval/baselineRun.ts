// The direct baseline in the same run as the cascade: each tier's model asked the way its makers evaluate it
// (baseline.ts), its first code block graded by the same grader, one line per problem and tier in baseline.jsonl
// (a resumed run keeps the lines it has). Calls take the tier's permits, like every other call.
import { interleave, runPool } from "../pool.ts";
import { appendResult, readResults } from "../resultsFile.ts";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { callModel } from "../../models/calls.ts";
import type { Session } from "../../run/session.ts";
import { Tier } from "../../types.ts";
import { baselineMessages, baselineSolution, type BaselineSummary } from "../../humaneval/baseline.ts";
import type { Problem } from "../../humaneval/dataset.ts";
import { createHumanEvalWorkspace, HUMANEVAL_EXPECTED_TESTS } from "../../task/humaneval.ts";

export const BaselineLine = z.object({
  taskId: z.string(),
  tier: Tier,
  model: z.string(),
  passed: z.boolean(),
  tokensIn: z.number(),
  tokensOut: z.number(),
  wallMs: z.number(),
  /** The call's latency and the server's own compute time (absent in lines written before they were kept). */
  latencyMs: z.number().min(0).optional(),
  computeMs: z.number().min(0).optional(),
});
export type BaselineLine = z.infer<typeof BaselineLine>;

async function askDirectly(
  session: Session,
  problem: Problem,
  tier: Tier,
  outDir: string,
  signal?: AbortSignal,
): Promise<BaselineLine> {
  const started = performance.now();
  const { text, record } = await callModel(
    { router: session.router, model: session.model, log: session.log, prices: session.config.prices, signal },
    { role: tier, attempt: null, messages: baselineMessages(problem.prompt) },
  );
  const ws = await createHumanEvalWorkspace(problem, path.join(outDir, "baseline", tier));
  await writeFile(path.join(ws.root, "solution.py"), baselineSolution(text, problem.prompt, problem.entryPoint));
  const grader = await session.grader();
  const grade = await grader.grade({
    workspace: ws.root,
    testFile: ws.testFile,
    expectedTests: HUMANEVAL_EXPECTED_TESTS,
    timeoutMs: session.config.humaneval.timeoutMs,
    memoryMb: session.config.humaneval.memoryMb,
    signal,
  });
  return {
    taskId: problem.taskId,
    tier,
    model: record.alias,
    passed: grade.passed,
    tokensIn: record.tokensIn,
    tokensOut: record.tokensOut,
    wallMs: Math.round(performance.now() - started),
    latencyMs: record.latencyMs,
    ...(record.computeMs === null ? {} : { computeMs: record.computeMs }),
  };
}

/** Runs what is missing of the baseline for these problems and tiers, `concurrency` calls at once (the permits still bound each tier). */
export async function runBaseline(
  session: Session,
  options: { problems: Problem[]; tiers: Tier[]; outDir: string; concurrency: number; signal?: AbortSignal },
): Promise<BaselineSummary[]> {
  const file = path.join(options.outDir, "baseline.jsonl");
  await mkdir(options.outDir, { recursive: true });
  const lines = readResults(file, BaselineLine, { strict: false });
  const done = new Set(lines.map((line) => `${line.tier}|${line.taskId}`));
  const todo = interleave(
    options.tiers.map((tier) =>
      options.problems.filter((p) => !done.has(`${tier}|${p.taskId}`)).map((problem) => ({ tier, problem })),
    ),
  );
  await runPool(todo, options, async ({ tier, problem }) => {
    const line = await askDirectly(session, problem, tier, options.outDir, options.signal);
    appendResult(file, line);
    lines.push(line);
  });
  const wanted = new Set(options.problems.map((p) => p.taskId));
  return options.tiers.map((tier) => {
    const mine = lines.filter((line) => line.tier === tier && wanted.has(line.taskId));
    const solved = mine.filter((line) => line.passed).length;
    return {
      tier,
      model: mine[0]?.model ?? session.router.modelFor(tier),
      total: mine.length,
      solved,
      passAt1: mine.length === 0 ? 0 : Math.round((solved / mine.length) * 10_000) / 10_000,
      tokensOut: mine.reduce((sum, line) => sum + line.tokensOut, 0),
      wallSeconds: Math.round(mine.reduce((sum, line) => sum + line.wallMs, 0) / 100) / 10,
      usage: {
        calls: mine.length,
        tokensIn: mine.reduce((sum, line) => sum + line.tokensIn, 0),
        tokensOut: mine.reduce((sum, line) => sum + line.tokensOut, 0),
        tokensCached: 0,
        costUsd: 0,
        modelMs: mine.reduce((sum, line) => sum + (line.latencyMs ?? 0), 0),
        computeMs: mine.reduce((sum, line) => sum + (line.computeMs ?? 0), 0),
        computedCalls: mine.filter((line) => line.computeMs !== undefined).length,
      },
    };
  });
}
