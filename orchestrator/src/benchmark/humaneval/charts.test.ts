import { describe, expect, test } from "bun:test";
import { chartSpecs, renderSvg } from "./charts.ts";
import type { ResultLine } from "./report.ts";

const line = (
  taskId: string,
  solved: boolean,
  attempts: number,
  finalTier: ResultLine["finalTier"],
  wallMs: number,
): ResultLine => ({
  taskId,
  status: solved ? "complete" : "abort",
  solved,
  passedFirstAttempt: solved && attempts === 1,
  attempts,
  finalTier,
  escalations: 0,
  checkpoints: 0,
  usage: {},
  tokensIn: 0,
  tokensOut: 0,
  tokensCached: 0,
  costUsd: 0,
  wallMs,
});
const LINES = [
  line("HumanEval/0", true, 1, "fast", 12_000),
  line("HumanEval/1", true, 3, "deep", 80_000),
  line("HumanEval/2", false, 5, "reviewer", 200_000),
];

describe("the benchmark's plots", () => {
  test("solved by final tier, solved within N attempts, wall time; the baselines when measured", () => {
    const charts = chartSpecs(LINES, [
      {
        tier: "fast",
        model: "fast-coder",
        total: 3,
        solved: 2,
        passAt1: 0.6667,
        tokensOut: 300,
        wallSeconds: 30,
        usage: { calls: 3, tokensIn: 900, tokensOut: 300, tokensCached: 0, costUsd: 0 },
      },
    ]);
    expect(charts.map((chart) => chart.file)).toEqual([
      "solved-by-tier.svg",
      "solved-by-attempts.svg",
      "wall-time.svg",
      "baselines.svg",
    ]);
    const values = (file: string) =>
      (charts.find((chart) => chart.file === file)!.spec as { data: { values: unknown[] } }).data.values;
    expect(values("solved-by-tier.svg")).toEqual([
      { tier: "fast", solved: 1 },
      { tier: "deep", solved: 1 },
      { tier: "reviewer", solved: 0 },
    ]);
    expect(values("solved-by-attempts.svg")).toEqual(
      [1, 2, 3, 4, 5].map((attempts) => ({ attempts, solved: attempts >= 3 ? 2 : 1 })),
    );
    expect(values("baselines.svg")).toEqual([
      { measure: "fast model, asked directly", passed: 2 },
      { measure: "smol-coder pass@1 (fast, first attempt)", passed: 1 },
      { measure: "smol-coder with feedback (cascade)", passed: 2 },
    ]);
    expect(chartSpecs(LINES).map((chart) => chart.file)).not.toContain("baselines.svg");
  });

  test("each renders to an SVG document", async () => {
    for (const chart of chartSpecs(LINES)) {
      const svg = await renderSvg(chart.spec);
      expect(svg.startsWith("<svg")).toBe(true);
      expect(svg).toContain("</svg>");
    }
  });
});
