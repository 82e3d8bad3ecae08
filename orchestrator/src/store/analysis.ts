// Pure text for `smol-coder runs` and `smol-coder analyze RUN_ID`: numbers from the store in, aligned columns out.
import type { Price } from "../config/config.ts";
import { frontierEstimate } from "../models/pricing.ts";
import type { RoleUsage, RunDetail, RunSummary } from "./records.ts";
import type { Role } from "../types.ts";

export type RunTotals = {
  tasks: number;
  solved: number;
  /** Tasks whose first attempt passed, before any test output was fed back. */
  passedFirstAttempt: number;
  byRole: [Role, RoleUsage][];
  all: RoleUsage;
};

// Flow order: the spec comes first, the mentor writes between tiers.
const ROLE_ORDER: readonly Role[] = ["spec-writer", "fast", "deep", "mentor", "reviewer"];
const TASK_KEY_WIDTH = 40;

const EMPTY_USAGE: RoleUsage = { calls: 0, tokensIn: 0, tokensOut: 0, tokensCached: 0, costUsd: 0, unpricedCalls: 0 };

function addUsage(a: RoleUsage, b: RoleUsage): RoleUsage {
  return {
    calls: a.calls + b.calls,
    tokensIn: a.tokensIn + b.tokensIn,
    tokensOut: a.tokensOut + b.tokensOut,
    tokensCached: a.tokensCached + b.tokensCached,
    costUsd: a.costUsd + b.costUsd,
    unpricedCalls: a.unpricedCalls + b.unpricedCalls,
  };
}

/** Pure: the run's counts, and its usage by role summed over tasks. */
export function runTotals(detail: RunDetail): RunTotals {
  const byRole = new Map<Role, RoleUsage>();
  for (const task of detail.tasks) {
    for (const [role, usage] of Object.entries(task.byRole) as [Role, RoleUsage][])
      byRole.set(role, addUsage(byRole.get(role) ?? EMPTY_USAGE, usage));
  }
  const ordered = ROLE_ORDER.flatMap((role): [Role, RoleUsage][] =>
    byRole.has(role) ? [[role, byRole.get(role)!]] : [],
  );
  return {
    tasks: detail.tasks.length,
    // Verified counts as solved: an uncommitted task's change passed; only git refused to commit it.
    solved: detail.tasks.filter((task) => task.status === "complete" || task.status === "uncommitted").length,
    passedFirstAttempt: detail.tasks.filter((task) => task.passedFirstAttempt === true).length,
    byRole: ordered,
    all: ordered.reduce((sum, [, usage]) => addUsage(sum, usage), EMPTY_USAGE),
  };
}

export function formatUsd(usd: number): string {
  const text = `$${Math.abs(usd).toFixed(4)}`;
  return usd < 0 && text !== "$0.0000" ? `-${text}` : text;
}

function formatCount(n: number): string {
  return n.toLocaleString("en-US");
}

function formatShare(part: number, whole: number): string {
  return whole === 0 ? `${part}/0 (n/a)` : `${part}/${whole} (${((part / whole) * 100).toFixed(1)}%)`;
}

/** "2026-11-22T14:30:12.000Z" → "2026-11-22 14:30:12". */
function formatTime(iso: string): string {
  return iso.slice(0, 19).replace("T", " ");
}

function truncate(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

/** Pads every column to its widest cell; numeric columns align right so their digits line up. */
export function formatTable(
  headers: string[],
  rows: string[][],
  rightAligned: ReadonlySet<number> = new Set(),
): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? "").length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (rightAligned.has(column) ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!)))
      .join("  ")
      .trimEnd();
  return [line(headers), ...rows.map(line)].join("\n");
}

/** Text for `smol-coder runs`. */
export function formatRuns(rows: readonly RunSummary[]): string {
  if (rows.length === 0) return "No runs recorded yet.";
  const headers = ["id", "kind", "started (UTC)", "status", "tasks", "solved", "cost"];
  const cells = rows.map((run) => [
    run.id,
    run.kind,
    formatTime(run.startedAt),
    run.status,
    String(run.tasks),
    String(run.solved),
    formatUsd(run.costUsd),
  ]);
  return formatTable(headers, cells, new Set([4, 5, 6]));
}

function taskTable(detail: RunDetail): string {
  const headers = ["task", "outcome", "attempts", "final tier", "tokens in", "tokens out", "cost", "seconds"];
  const cells = detail.tasks.map((task) => [
    truncate(task.taskKey, TASK_KEY_WIDTH),
    task.status,
    String(task.attempts),
    task.finalTier ?? "-",
    formatCount(task.tokensIn),
    formatCount(task.tokensOut),
    formatUsd(task.costUsd),
    task.wallMs === null ? "-" : (task.wallMs / 1000).toFixed(1),
  ]);
  return formatTable(headers, cells, new Set([2, 4, 5, 6, 7]));
}

function roleTable(totals: RunTotals): string {
  const row = (name: string, usage: RoleUsage) => [
    name,
    String(usage.calls),
    formatCount(usage.tokensIn),
    formatCount(usage.tokensOut),
    formatUsd(usage.costUsd),
    usage.unpricedCalls > 0 ? `${usage.unpricedCalls} unpriced` : "",
  ];
  const rows = [...totals.byRole.map(([role, usage]) => row(role, usage)), row("all roles", totals.all)];
  return formatTable(["role", "calls", "tokens in", "tokens out", "cost", ""], rows, new Set([1, 2, 3, 4]));
}

function frontierLines(all: RoleUsage, prices: Price | undefined): string[] {
  if (!prices) return ["Frontier-only estimate: not computed (no reviewer prices were given)."];
  const { estimateUsd, actualUsd, savingUsd } = frontierEstimate(all, prices);
  const lines = [
    `Frontier-only estimate: ${formatUsd(estimateUsd)}, actual ${formatUsd(actualUsd)}, saving ${formatUsd(savingUsd)}`,
    `  How: all ${formatCount(all.tokensIn)} input and ${formatCount(all.tokensOut)} output tokens, every role included, priced at the reviewer's ` +
      `$${prices.inputPerMTok}/M input and $${prices.outputPerMTok}/M output; saving = estimate - actual. ` +
      "It assumes a frontier model alone would have used the same tokens.",
  ];
  // Unpriced calls count in the estimate but not in the actual cost, so the saving is overstated by their cost.
  if (all.unpricedCalls > 0)
    lines.push(
      `  Note: the actual cost leaves out ${all.unpricedCalls} unpriced call(s), so the saving is an upper bound.`,
    );
  return lines;
}

/** Text for `smol-coder analyze RUN_ID`. `prices` are the reviewer's, for the frontier-only estimate. */
export function formatAnalysis(detail: RunDetail, prices?: Price): string {
  const { run } = detail;
  const totals = runTotals(detail);
  const finished = run.finishedAt ? `, finished ${formatTime(run.finishedAt)}` : "";
  return [
    `Run ${run.id} (${run.kind}): ${run.status}, started ${formatTime(run.startedAt)} UTC${finished}`,
    "",
    detail.tasks.length > 0 ? taskTable(detail) : "No tasks recorded.",
    "",
    `Tasks: ${totals.tasks}`,
    `Solved: ${totals.solved}`,
    `pass@1 (first attempt, before any test feedback): ${formatShare(totals.passedFirstAttempt, totals.tasks)}`,
    `Solve rate with test feedback (any attempt): ${formatShare(totals.solved, totals.tasks)}`,
    "",
    "Tokens and cost by role:",
    roleTable(totals),
    "",
    ...frontierLines(totals.all, prices),
  ].join("\n");
}
