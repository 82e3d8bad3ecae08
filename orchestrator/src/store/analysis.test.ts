import { describe, expect, test } from "bun:test";
import { formatAnalysis, formatRuns, formatTable, formatUsd, runTotals } from "./analysis.ts";
import { frontierEstimate } from "../models/pricing.ts";
import type { RoleUsage, RunDetail, TaskDetail } from "./store.ts";

function usage(calls: number, tokensIn: number, tokensOut: number, costUsd: number, unpricedCalls = 0): RoleUsage {
  return { calls, tokensIn, tokensOut, tokensCached: 0, costUsd, unpricedCalls };
}

function task(fields: Partial<TaskDetail> & Pick<TaskDetail, "id" | "taskKey" | "byRole">): TaskDetail {
  const roles = Object.values(fields.byRole);
  return {
    kind: "humaneval",
    status: "complete",
    attempts: 1,
    finalTier: "fast",
    passedFirstAttempt: true,
    wallMs: 1000,
    tokensIn: roles.reduce((sum, role) => sum + role.tokensIn, 0),
    tokensOut: roles.reduce((sum, role) => sum + role.tokensOut, 0),
    costUsd: roles.reduce((sum, role) => sum + role.costUsd, 0),
    checkpoints: [],
    ...fields,
  };
}

// Three HumanEval tasks: solved on the first try, solved after feedback and escalation, failed everywhere.
// Totals: 13,000 tokens in, 1,810 out, $0.153 actual, one fast call unpriced.
const detail: RunDetail = {
  run: {
    id: "r-20261122-143012-ab12",
    kind: "bench",
    startedAt: "2026-11-22T14:30:12.000Z",
    finishedAt: "2026-11-22T14:31:00.000Z",
    status: "complete",
    args: {},
  },
  tasks: [
    task({
      id: 1,
      taskKey: "HumanEval/0",
      wallMs: 2000,
      byRole: { "spec-writer": usage(1, 500, 200, 0.002), fast: usage(1, 1000, 100, 0) },
    }),
    task({
      id: 2,
      taskKey: "HumanEval/1",
      attempts: 3,
      finalTier: "deep",
      passedFirstAttempt: false,
      wallMs: 9000,
      byRole: {
        fast: usage(2, 2500, 310, 0.001, 1),
        mentor: usage(1, 2000, 300, 0.03),
        deep: usage(1, 3000, 400, 0.02),
      },
    }),
    task({
      id: 3,
      taskKey: "HumanEval/2",
      status: "abort",
      attempts: 5,
      finalTier: "reviewer",
      passedFirstAttempt: false,
      wallMs: 30000,
      byRole: { reviewer: usage(1, 4000, 500, 0.1) },
    }),
  ],
};
const reviewerPrices = { inputPerMTok: 10, outputPerMTok: 40 };

describe("runTotals", () => {
  test("counts solved and first-attempt passes separately and sums usage by role in flow order", () => {
    const totals = runTotals(detail);
    expect(totals).toMatchObject({ tasks: 3, solved: 2, passedFirstAttempt: 1 });
    expect(totals.byRole.map(([role]) => role)).toEqual(["spec-writer", "fast", "deep", "mentor", "reviewer"]);
    expect(totals.byRole[1]).toEqual(["fast", usage(3, 3500, 410, 0.001, 1)]);
    expect(totals.all).toMatchObject({ calls: 7, tokensIn: 13000, tokensOut: 1810, unpricedCalls: 1 });
    expect(totals.all.costUsd).toBeCloseTo(0.153, 12);
  });

  test("a task with no first-attempt result (null) does not count as passing it", () => {
    const interrupted: RunDetail = {
      ...detail,
      tasks: [task({ id: 9, taskKey: "x", status: "interrupted", passedFirstAttempt: null, byRole: {} })],
    };
    expect(runTotals(interrupted)).toMatchObject({ tasks: 1, solved: 0, passedFirstAttempt: 0 });
  });
});

describe("frontierEstimate over the run's totals", () => {
  test.each([
    // 13,000 × $10/M + 1,810 × $40/M = $0.13 + $0.0724
    { prices: reviewerPrices, estimate: 0.2024, saving: 0.0494 },
    // 13,000 × $2/M + 1,810 × $10/M = $0.026 + $0.0181: the local tiers cost more than the frontier would have
    { prices: { inputPerMTok: 2, outputPerMTok: 10 }, estimate: 0.0441, saving: -0.1089 },
    { prices: { inputPerMTok: 0, outputPerMTok: 0 }, estimate: 0, saving: -0.153 },
  ])(
    "at $prices.inputPerMTok/$prices.outputPerMTok per million: $estimate, saving $saving",
    ({ prices, estimate, saving }) => {
      const result = frontierEstimate(runTotals(detail).all, prices);
      expect(result.estimateUsd).toBeCloseTo(estimate, 12);
      expect(result.actualUsd).toBeCloseTo(0.153, 12);
      expect(result.savingUsd).toBeCloseTo(saving, 12);
    },
  );
});

describe("formatAnalysis", () => {
  const text = formatAnalysis(detail, reviewerPrices);
  const lines = text.split("\n");

  test("one aligned row per task", () => {
    const header = lines.findIndex((line) => line.startsWith("task "));
    expect(lines.slice(header, header + 4)).toEqual([
      "task         outcome   attempts  final tier  tokens in  tokens out     cost  seconds",
      "HumanEval/0  complete         1  fast            1,500         300  $0.0020      2.0",
      "HumanEval/1  complete         3  deep            7,500       1,010  $0.0510      9.0",
      "HumanEval/2  abort            5  reviewer        4,000         500  $0.1000     30.0",
    ]);
  });

  test("pass@1 and the solve rate with feedback are two labelled numbers, and only the first is called pass@1", () => {
    expect(lines).toContain("Tasks: 3");
    expect(lines).toContain("Solved: 2");
    expect(lines).toContain("pass@1 (first attempt, before any test feedback): 1/3 (33.3%)");
    expect(lines).toContain("Solve rate with test feedback (any attempt): 2/3 (66.7%)");
    expect(text.match(/pass@1/g)).toHaveLength(1);
  });

  test("tokens and cost by role, with a total and the unpriced calls flagged", () => {
    const header = lines.indexOf("Tokens and cost by role:");
    expect(lines.slice(header + 1, header + 8)).toEqual([
      "role         calls  tokens in  tokens out     cost",
      "spec-writer      1        500         200  $0.0020",
      "fast             3      3,500         410  $0.0010  1 unpriced",
      "deep             1      3,000         400  $0.0200",
      "mentor           1      2,000         300  $0.0300",
      "reviewer         1      4,000         500  $0.1000",
      "all roles        7     13,000       1,810  $0.1530  1 unpriced",
    ]);
  });

  test("the frontier-only estimate, its saving, and how it is computed", () => {
    expect(lines).toContain("Frontier-only estimate: $0.2024, actual $0.1530, saving $0.0494");
    const how = lines.find((line) => line.startsWith("  How:"))!;
    expect(how).toContain("all 13,000 input and 1,810 output tokens, every role included");
    expect(how).toContain("$10/M input and $40/M output; saving = estimate - actual");
    expect(lines).toContain("  Note: the actual cost leaves out 1 unpriced call(s), so the saving is an upper bound.");
  });

  test("a negative saving keeps its sign", () => {
    expect(formatAnalysis(detail, { inputPerMTok: 2, outputPerMTok: 10 })).toContain(
      "Frontier-only estimate: $0.0441, actual $0.1530, saving -$0.1089",
    );
  });

  test("without prices there is no estimate, and no unpriced note when every call was priced", () => {
    const priced: RunDetail = { ...detail, tasks: [detail.tasks[0]!] };
    const plain = formatAnalysis(priced);
    expect(plain).toContain("Frontier-only estimate: not computed (no reviewer prices were given).");
    expect(plain).not.toContain("unpriced");
    expect(plain).toContain("pass@1 (first attempt, before any test feedback): 1/1 (100.0%)");
  });

  test("a run without tasks says so and shows no percentages", () => {
    const empty = formatAnalysis({ ...detail, tasks: [] }, reviewerPrices);
    expect(empty).toContain("No tasks recorded.");
    expect(empty).toContain("pass@1 (first attempt, before any test feedback): 0/0 (n/a)");
    expect(empty).toContain("Frontier-only estimate: $0.0000, actual $0.0000, saving $0.0000");
  });

  test("the heading names the run, its status and times", () => {
    expect(lines[0]).toBe(
      "Run r-20261122-143012-ab12 (bench): complete, started 2026-11-22 14:30:12 UTC, finished 2026-11-22 14:31:00",
    );
  });
});

describe("formatRuns", () => {
  test("aligned rows, newest first as given", () => {
    const text = formatRuns([
      {
        id: "r-20261122-143012-ab12",
        kind: "bench",
        startedAt: "2026-11-22T14:30:12.000Z",
        finishedAt: null,
        status: "running",
        tasks: 164,
        solved: 120,
        costUsd: 1.23456,
      },
      {
        id: "r-20261121-090000-00ff",
        kind: "run",
        startedAt: "2026-11-21T09:00:00.000Z",
        finishedAt: "2026-11-21T09:01:00.000Z",
        status: "complete",
        tasks: 1,
        solved: 1,
        costUsd: 0,
      },
    ]);
    expect(text).toBe(
      [
        "id                      kind   started (UTC)        status    tasks  solved     cost",
        "r-20261122-143012-ab12  bench  2026-11-22 14:30:12  running     164     120  $1.2346",
        "r-20261121-090000-00ff  run    2026-11-21 09:00:00  complete      1       1  $0.0000",
      ].join("\n"),
    );
  });

  test("no runs", () => {
    expect(formatRuns([])).toBe("No runs recorded yet.");
  });
});

describe("helpers", () => {
  test.each([
    [0, "$0.0000"],
    [0.00004, "$0.0000"],
    [-0.00004, "$0.0000"],
    [1.23456, "$1.2346"],
    [-0.5, "-$0.5000"],
  ])("formatUsd(%p) = %s", (usd, expected) => {
    expect(formatUsd(usd)).toBe(expected);
  });

  test("formatTable trims trailing padding", () => {
    expect(
      formatTable(
        ["a", "note"],
        [
          ["1", ""],
          ["22", "x"],
        ],
        new Set([0]),
      ),
    ).toBe(" a  note\n 1\n22  x");
  });
});
