import { describe, expect, test } from "bun:test";
import { renderReport, summarise, type ResultLine } from "./report.ts";

const REVIEWER = { inputPerMTok: 3, outputPerMTok: 15 };

function line(taskId: string, extra: Partial<ResultLine>): ResultLine {
  return {
    taskId,
    status: "complete",
    solved: true,
    passedFirstAttempt: true,
    attempts: 1,
    finalTier: "fast",
    escalations: 0,
    checkpoints: 0,
    usage: { fast: { calls: 1, tokensIn: 1000, tokensOut: 100, tokensCached: 0, costUsd: 0 } },
    tokensIn: 1000,
    tokensOut: 100,
    tokensCached: 0,
    costUsd: 0,
    wallMs: 1000,
    ...extra,
  };
}

const LINES: ResultLine[] = [
  line("HumanEval/0", {}),
  line("HumanEval/1", { passedFirstAttempt: false, attempts: 3, finalTier: "deep", escalations: 1, checkpoints: 1 }),
  line("HumanEval/2", {
    passedFirstAttempt: false,
    attempts: 5,
    finalTier: "reviewer",
    escalations: 2,
    checkpoints: 2,
    usage: {
      fast: { calls: 2, tokensIn: 2000, tokensOut: 200, tokensCached: 1500, costUsd: 0 },
      reviewer: { calls: 1, tokensIn: 1_000_000, tokensOut: 0, tokensCached: 0, costUsd: 3 },
    },
    tokensIn: 1_002_000,
    tokensOut: 200,
    tokensCached: 1500,
    costUsd: 3,
  }),
  line("HumanEval/3", {
    status: "abort",
    solved: false,
    passedFirstAttempt: false,
    attempts: 5,
    finalTier: "reviewer",
    escalations: 2,
    checkpoints: 2,
  }),
];

describe("summarise", () => {
  const summary = summarise(LINES, REVIEWER, 12.34);

  test("pass@1 and the solve rate with feedback are separate numbers", () => {
    expect(summary.total).toBe(4);
    expect(summary.solved).toBe(3);
    expect(summary.passAt1).toBe(0.25);
    expect(summary.solveRateWithFeedback).toBe(0.75);
  });

  test("solved by final tier, failures by kind, attempts, escalations, checkpoints", () => {
    expect(summary.solvedByFinalTier).toEqual({ fast: 1, deep: 1, reviewer: 1 });
    expect(summary.notSolved).toEqual({ abort: 1, unreachable: 0, rejected: 0, crashed: 0 });
    expect(summary.meanAttempts).toBe(3.5);
    expect(summary.escalations).toBe(5);
    expect(summary.checkpoints).toBe(5);
  });

  test("tokens and cost by role add up", () => {
    // Lines written before latency and compute time were kept count 0 of each (and no call as computed).
    const untimed = { modelMs: 0, computeMs: 0, computedCalls: 0 };
    expect(summary.byRole.fast).toEqual({
      calls: 5,
      tokensIn: 5000,
      tokensOut: 500,
      tokensCached: 1500,
      costUsd: 0,
      ...untimed,
    });
    expect(summary.byRole.reviewer).toEqual({
      calls: 1,
      tokensIn: 1_000_000,
      tokensOut: 0,
      tokensCached: 0,
      costUsd: 3,
      ...untimed,
    });
    expect(summary.tokensIn).toBe(1_005_000);
    expect(summary.promptCacheHitRate).toBe(0.0015);
    expect(summary.costUsd).toBe(3);
  });

  test("frontier-only estimate: all tokens at reviewer rates, saving against what was paid", () => {
    const expected = (1_005_000 * 3 + 500 * 15) / 1e6;
    expect(summary.frontierOnly.estimateUsd).toBeCloseTo(expected, 6);
    expect(summary.frontierOnly.savingUsd).toBeCloseTo(expected - 3, 6);
    expect(summary.frontierOnly.method).toContain("reviewer's rates");
  });

  test("an empty run is all zeros, not NaN", () => {
    const empty = summarise([], REVIEWER, 0);
    expect(empty.passAt1).toBe(0);
    expect(empty.solveRateWithFeedback).toBe(0);
    expect(empty.meanAttempts).toBe(0);
  });
});

describe("renderReport", () => {
  const report = renderReport(summarise(LINES, REVIEWER, 12.34), LINES, "HumanEval benchmark r-1");

  test("labels pass@1 and the solve rate with feedback, and never calls the second pass@1", () => {
    expect(report).toContain("| pass@1 (first attempt, before any test feedback) | 25.0% |");
    expect(report).toContain("| solve rate with test feedback (repairs, checkpoints, escalation) | 75.0% (3/4) |");
    expect(report.match(/pass@1/g)).toHaveLength(1);
  });

  test("one table row per problem", () => {
    expect(report).toContain("| HumanEval/3 | abort | fail | 5 | reviewer | $0.0000 | 1.0 |");
    expect(report).toContain("| HumanEval/0 | yes | pass | 1 | fast | $0.0000 | 1.0 |");
  });
});
