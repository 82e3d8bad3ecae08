import { describe, expect, test } from "bun:test";
import type { BaselineLine, TaskLine } from "./lines.ts";
import { baselineCell, renderExercismReport, summariseExercism, taskCell } from "./report.ts";

const task = (
  exercise: string,
  outcomes: TaskLine["attempts"][number]["outcome"][],
  status: TaskLine["status"] = outcomes.at(-1) === "passed" ? "complete" : "abort",
): TaskLine => ({
  exercise,
  status,
  solved: status === "complete",
  startTier: "fast",
  finalTier: "fast",
  attempts: outcomes.map((outcome) => ({ tier: "fast", outcome })),
  tokensIn: 10,
  tokensOut: 5,
  modelMs: 1000,
  wallMs: 2000,
});
const base = (
  exercise: string,
  tries: [boolean, boolean][],
  status: BaselineLine["status"] = tries.at(-1)?.[1] ? "complete" : "failed",
): BaselineLine => ({
  exercise,
  tier: "fast",
  model: "fast-coder",
  status,
  solved: status === "complete",
  tries: tries.map(([wellFormed, passed]) => ({ wellFormed, passed, tokensIn: 10, tokensOut: 5, modelMs: 500 })),
  wallMs: 1000,
});

describe("the Exercism summary", () => {
  const tasks = [
    task("a", ["passed"]),
    task("b", ["patch_rejected", "passed"]),
    task("c", ["verification_failed", "verification_failed"]),
    task("d", [], "unreachable"),
  ];
  const baselines = [
    base("a", [
      [true, false],
      [true, true],
    ]),
    base("b", [
      [false, false],
      [true, false],
    ]),
    base("c", [[true, true]]),
    base("e", [[true, true]]),
    base("d", [], "crashed"),
  ];
  const summary = summariseExercism({
    track: "python",
    exercises: ["a", "b", "c", "d", "e"],
    tasks,
    baselines,
    oracle: [],
    wallSeconds: 12,
  });

  test("solved after each try is cumulative; lines without a verdict are not counted", () => {
    const [smol, fast] = summary.arms;
    expect(smol).toMatchObject({
      arm: "smol-coder",
      tier: "fast",
      total: 3,
      solvedAfter: [1, 2],
      solved: 2,
      replies: 5,
      wellFormed: 4,
      modelSeconds: 3,
    });
    expect(fast).toMatchObject({
      tier: "fast",
      model: "fast-coder",
      total: 4,
      solvedAfter: [2, 3],
      solved: 3,
      replies: 6,
      wellFormed: 5,
      modelSeconds: 3,
    });
    expect(summary.refusedReplies).toBe(1);
    expect(summary.startedAt).toEqual({ fast: 3 });
  });

  test("paired on the exercises both arms have a verdict for", () => {
    expect(summary.paired).toEqual([{ tier: "fast", exercises: 3, smolCoder: [1, 2], baseline: [1, 2] }]);
  });

  test("cells and the report", () => {
    expect(taskCell(tasks[1])).toBe("✓2 R✓ (ff)");
    expect(baselineCell(baselines[1])).toBe("✗ RF");
    expect(baselineCell(baselines[4])).toBe("crashed");
    const report = renderExercismReport(summary, { tasks, baselines, oracle: [] }, "T");
    expect(report).toContain(
      "| smol-coder | fast | fast tier | 1/3 (33.3%) | 2/3 (66.7%) | 4/5 (80.0%) | 3 s | – | 15 |",
    );
    expect(report).toContain(
      "Paired, on the 3 exercises both have a verdict for: smol-coder 1 after try 1, 2 after try 2; the fast baseline 1 after try 1, 2 after try 2.",
    );
    expect(report).toContain("| b | ✓2 R✓ (ff) | ✗ RF |");
  });

  test("server compute: summed when every line has it, unknown (–) when one lacks it; a prompt too long needs none", () => {
    const timed = (line: BaselineLine, computeMs: number): BaselineLine => ({
      ...line,
      tries: line.tries.map((attempt) => ({ ...attempt, computeMs })),
    });
    const tooLong: BaselineLine = {
      ...base("f", []),
      tries: [{ wellFormed: false, passed: false, tokensIn: 0, tokensOut: 0, modelMs: 2000, tooLong: true }],
    };
    const arm = (lines: BaselineLine[], tasks: TaskLine[] = []) =>
      summariseExercism({ track: "python", exercises: [], tasks, baselines: lines, oracle: [], wallSeconds: 1 }).arms;
    const [a, c] = [timed(baselines[0]!, 700), timed(baselines[2]!, 450)];
    expect(arm([a, c])[0]!.computeSeconds).toBe(Math.round((700 * a.tries.length + 450 * c.tries.length) / 100) / 10);
    expect(arm([a, tooLong])[0]!.computeSeconds).toBe(Math.round((700 * a.tries.length) / 100) / 10);
    expect(arm([a, baselines[2]!])[0]!.computeSeconds).toBeNull();
    const [smol] = arm(
      [],
      [
        { ...tasks[0]!, computeMs: 1_250 },
        { ...tasks[2]!, computeMs: 1_000 },
      ],
    );
    expect(smol!.computeSeconds).toBe(2.3);
    expect(
      renderExercismReport(
        summariseExercism({
          track: "python",
          exercises: [],
          tasks: [{ ...tasks[0]!, computeMs: 1_250 }],
          baselines: [],
          oracle: [],
          wallSeconds: 1,
        }),
        { tasks: [], baselines: [], oracle: [] },
        "T",
      ),
    ).toContain(" | 1.3 s | ");
  });

  test("model calls by tier and role, with model-seconds per solved task, once every line carries its usage", () => {
    const fast = {
      calls: 1,
      tokensIn: 10,
      tokensOut: 5,
      tokensCached: 4,
      costUsd: 0,
      modelMs: 1000,
      computeMs: 600,
      computedCalls: 1,
    };
    const withUsage = tasks.map((t) => ({
      ...t,
      usage: { fast: { ...fast, calls: t.attempts.length, computedCalls: t.attempts.length } },
    }));
    const timedBaselines = baselines.map((b) => ({ ...b, tries: b.tries.map((t) => ({ ...t, computeMs: 300 })) }));
    const input = { tasks: withUsage, baselines: timedBaselines, oracle: [] };
    const report = renderExercismReport(
      summariseExercism({ track: "python", exercises: [], ...input, wallSeconds: 1 }),
      input,
      "T",
    );
    expect(report).toContain("## Model calls by tier and role");
    // a, b, c have verdicts (d has none): 1 + 2 + 2 calls, 600 ms of compute each line, 2 solved.
    expect(report).toContain("| **smol-coder** (fast) | 5 | 30 | 12 | 15 | 3 s | 1.8 s | 0.9 s (2 solved) |");
    // a, b, c, e: six tries at 300 ms each, 3 solved.
    expect(report).toContain("| **baseline fast** (fast) | 6 | 60 | 0 | 30 | 3 s | 1.8 s | 0.6 s (3 solved) |");
    expect(renderExercismReport(summary, { tasks, baselines, oracle: [] }, "T")).not.toContain("Model calls by tier");
  });

  test("a baseline prompt that did not fit is a failed try, not a reply: marked L, its time counted", () => {
    const tooLong: BaselineLine = {
      ...base("f", []),
      tries: [{ wellFormed: false, passed: false, tokensIn: 0, tokensOut: 0, modelMs: 2000, tooLong: true }],
    };
    const [fast] = summariseExercism({
      track: "python",
      exercises: ["a", "f"],
      tasks: [],
      baselines: [baselines[0]!, tooLong],
      oracle: [],
      wallSeconds: 1,
    }).arms;
    expect(fast).toMatchObject({ total: 2, solved: 1, replies: 2, wellFormed: 2, modelSeconds: 3 });
    expect(baselineCell(tooLong)).toBe("✗ L");
  });
});
