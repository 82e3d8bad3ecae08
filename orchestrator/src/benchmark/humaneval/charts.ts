// The benchmark's plots as SVG files beside report.md, drawn by Vega-Lite (vega renders SVG headless, no canvas):
// solved by final tier, problems solved against attempts used, and wall time per problem.
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import type { BaselineSummary } from "../../humaneval/baseline.ts";
import type { ResultLine } from "./report.ts";
import { TIERS } from "../../types.ts";

export type Chart = { file: string; title: string; spec: TopLevelSpec };

const base = { $schema: "https://vega.github.io/schema/vega-lite/v5.json", width: 420, height: 220 } as const;

/** Pure: the chart specs for a run's result lines (and its direct baselines, when measured). */
export function chartSpecs(lines: readonly ResultLine[], baselines: readonly BaselineSummary[] = []): Chart[] {
  const byTier = TIERS.map((tier) => ({
    tier,
    solved: lines.filter((line) => line.solved && line.finalTier === tier).length,
  }));
  const maxAttempts = Math.max(1, ...lines.map((line) => line.attempts));
  const cumulative = Array.from({ length: maxAttempts }, (_, index) => ({
    attempts: index + 1,
    solved: lines.filter((line) => line.solved && line.attempts <= index + 1).length,
  }));
  const charts: Chart[] = [
    {
      file: "solved-by-tier.svg",
      title: "Solved, by the tier that solved it",
      spec: {
        ...base,
        title: "Solved by final tier",
        data: { values: byTier },
        mark: "bar",
        encoding: {
          x: { field: "tier", type: "nominal", sort: [...TIERS] },
          y: { field: "solved", type: "quantitative" },
        },
      },
    },
    {
      file: "solved-by-attempts.svg",
      title: "Problems solved within N attempts",
      spec: {
        ...base,
        title: `Solved within N attempts (of ${lines.length})`,
        data: { values: cumulative },
        mark: { type: "line", point: true },
        encoding: {
          x: { field: "attempts", type: "ordinal" },
          y: { field: "solved", type: "quantitative", scale: { domain: [0, lines.length] } },
        },
      },
    },
    {
      file: "wall-time.svg",
      title: "Wall time per problem",
      spec: {
        ...base,
        width: Math.max(420, lines.length * 6),
        title: "Wall time per problem (s)",
        data: {
          values: lines.map((line) => ({
            problem: line.taskId,
            seconds: Math.round(line.wallMs / 100) / 10,
            solved: line.solved ? "solved" : "not solved",
          })),
        },
        mark: "bar",
        encoding: {
          x: { field: "problem", type: "nominal", sort: null, axis: { labels: lines.length <= 40 } },
          y: { field: "seconds", type: "quantitative" },
          color: { field: "solved", type: "nominal" },
        },
      },
    },
  ];
  if (baselines.length > 0) {
    const firstAttempt = lines.filter((line) => line.passedFirstAttempt).length;
    const values = [
      ...baselines.map((b) => ({ measure: `${b.tier} model, asked directly`, passed: b.solved })),
      { measure: "smol-coder pass@1 (fast, first attempt)", passed: firstAttempt },
      { measure: "smol-coder with feedback (cascade)", passed: lines.filter((line) => line.solved).length },
    ];
    charts.push({
      file: "baselines.svg",
      title: "Direct baselines beside smol-coder",
      spec: {
        ...base,
        title: `Problems passed (of ${lines.length})`,
        data: { values },
        mark: "bar",
        encoding: {
          y: { field: "measure", type: "nominal", sort: null },
          x: { field: "passed", type: "quantitative" },
        },
      },
    });
  }
  return charts;
}

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
