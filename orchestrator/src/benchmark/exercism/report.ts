// Pure: an Exercism run's summary and report. smol-coder's tasks and the field's baseline stand side by side per
// tier: solved after the first and the second try (a try is one model reply that is verified), the share of
// replies that were well-formed, and the model time each spent; then a paired table, exercise by exercise.
import { isVerdict, TIERS, type Tier } from "../../types.ts";
import type { Track } from "./track.ts";
import type { BaselineLine, OracleLine, TaskLine } from "./lines.ts";
import { renderUsageTable, usageByRole, type UsageByRole } from "../usage.ts";

export type ArmSummary = {
  arm: string;
  tier: Tier | "router";
  model: string;
  total: number;
  /** Solved within 1, 2, … tries: index k holds those solved by try k+1. */
  solvedAfter: number[];
  solved: number;
  replies: number;
  wellFormed: number;
  modelSeconds: number;
  /** The servers' own compute time (no queue), or null when a line lacks it (a server that does not say, older lines). */
  computeSeconds: number | null;
  tokensOut: number;
};

export type ExercismSummary = {
  track: Track;
  exercises: number;
  oracle: { total: number; passed: number; failed: string[] } | null;
  arms: ArmSummary[];
  /** smol-coder beside each baseline tier on the exercises both have a verdict for (a run cut short pairs what it has). */
  paired: { tier: Tier; exercises: number; smolCoder: number[]; baseline: number[] }[];
  /** smol-coder's tasks by the tier they started at (the router's choice, or --start-tier). */
  startedAt: Partial<Record<Tier, number>>;
  /** smol-coder's replies (attempts) refused before any test ran. */
  refusedReplies: number;
  /** smol-coder's replies that also wrote files the task does not own: those edits left out, the rest tested. */
  repliesWithIgnoredFiles: number;
  wallSeconds: number;
};

const seconds = (ms: number) => Math.round(ms / 100) / 10;
/** Pure: the summed compute time, or null unless every item has one. */
function computeSeconds(items: readonly { computeMs?: number | undefined }[]): number | null {
  if (items.length === 0 || items.some((item) => item.computeMs === undefined)) return null;
  return seconds(items.reduce((sum, item) => sum + (item.computeMs ?? 0), 0));
}
const cumulative = (counts: number[]) => counts.map((_, i) => counts.slice(0, i + 1).reduce((a, b) => a + b, 0));

function tasksArm(recorded: readonly TaskLine[], tries: number): ArmSummary {
  // Tasks without a verdict (unreachable, rejected, crashed) are not counted: --resume runs those again.
  const tasks = recorded.filter((t) => isVerdict(t.status));
  const byTry = Array.from(
    { length: tries },
    (_, k) => tasks.filter((t) => t.solved && t.attempts.length === k + 1).length,
  );
  const replies = tasks.flatMap((t) => t.attempts).filter((a) => a.outcome !== "prompt_too_long");
  const tiers = new Set(tasks.flatMap((t) => t.attempts.map((a) => a.tier)));
  return {
    arm: "smol-coder",
    tier: tiers.size === 1 ? [...tiers][0]! : "router",
    // The result lines name tiers, not aliases: the tiers' models, as the config maps them.
    model: `${[...tiers].join("+") || "no"} tier${tiers.size > 1 ? "s" : ""}`,
    total: tasks.length,
    solvedAfter: cumulative(byTry),
    solved: tasks.filter((t) => t.solved).length,
    replies: replies.length,
    wellFormed: replies.filter((a) => a.outcome !== "patch_rejected").length,
    modelSeconds: seconds(tasks.reduce((s, t) => s + t.modelMs, 0)),
    computeSeconds: computeSeconds(tasks),
    tokensOut: tasks.reduce((s, t) => s + t.tokensOut, 0),
  };
}

function baselineArm(recorded: readonly BaselineLine[], tier: Tier, tries: number): ArmSummary {
  // Lines without a verdict (unreachable, crashed) are not counted: --resume asks those again.
  const lines = recorded.filter((line) => line.status === "complete" || line.status === "failed");
  const byTry = Array.from(
    { length: tries },
    (_, k) => lines.filter((l) => l.solved && l.tries.length === k + 1).length,
  );
  const tried = lines.flatMap((l) => l.tries);
  // A prompt that did not fit got no reply: like smol-coder's prompt_too_long attempts, not a reply to count.
  const all = tried.filter((t) => t.tooLong !== true);
  return {
    arm: "baseline (Aider's protocol)",
    tier,
    model: lines[0]?.model ?? tier,
    total: lines.length,
    solvedAfter: cumulative(byTry),
    solved: lines.filter((l) => l.solved).length,
    replies: all.length,
    wellFormed: all.filter((t) => t.wellFormed).length,
    modelSeconds: seconds(tried.reduce((s, t) => s + t.modelMs, 0)),
    // A prompt that did not fit was never computed: it needs no compute time of its own.
    computeSeconds: computeSeconds(tried.filter((t) => t.tooLong !== true)),
    tokensOut: tried.reduce((s, t) => s + t.tokensOut, 0),
  };
}

export function summariseExercism(input: {
  track: Track;
  exercises: string[];
  tasks: readonly TaskLine[];
  baselines: readonly BaselineLine[];
  oracle: readonly OracleLine[];
  wallSeconds: number;
}): ExercismSummary {
  const tries = Math.max(
    2,
    ...input.tasks.map((t) => t.attempts.length),
    ...input.baselines.map((b) => b.tries.length),
  );
  const startedAt: Partial<Record<Tier, number>> = {};
  for (const task of input.tasks.filter((t) => t.attempts.length > 0))
    startedAt[task.startTier] = (startedAt[task.startTier] ?? 0) + 1;
  const arms = [
    ...(input.tasks.length > 0 ? [tasksArm(input.tasks, tries)] : []),
    ...TIERS.filter((tier) => input.baselines.some((b) => b.tier === tier)).map((tier) =>
      baselineArm(
        input.baselines.filter((b) => b.tier === tier),
        tier,
        tries,
      ),
    ),
  ];
  const paired = arms
    .filter((arm) => arm.arm !== "smol-coder" && arm.tier !== "router")
    .map((arm) => {
      const tier = arm.tier as Tier;
      const base = new Map(
        input.baselines
          .filter((b) => b.tier === tier && (b.status === "complete" || b.status === "failed"))
          .map((b) => [b.exercise, b]),
      );
      const both = input.tasks.filter((t) => isVerdict(t.status) && base.has(t.exercise));
      const names = new Set(both.map((t) => t.exercise));
      return {
        tier,
        exercises: both.length,
        smolCoder: tasksArm(both, tries).solvedAfter,
        baseline: baselineArm(
          [...base.values()].filter((b) => names.has(b.exercise)),
          tier,
          tries,
        ).solvedAfter,
      };
    });
  return {
    track: input.track,
    exercises: input.exercises.length,
    paired,
    oracle:
      input.oracle.length > 0
        ? {
            total: input.oracle.length,
            passed: input.oracle.filter((o) => o.solved).length,
            failed: input.oracle.filter((o) => !o.solved).map((o) => o.exercise),
          }
        : null,
    arms,
    startedAt,
    refusedReplies: input.tasks.flatMap((t) => t.attempts).filter((a) => a.outcome === "patch_rejected").length,
    repliesWithIgnoredFiles: input.tasks.flatMap((t) => t.attempts).filter((a) => (a.ignored ?? 0) > 0).length,
    wallSeconds: Math.round(input.wallSeconds),
  };
}

const pct = (n: number, d: number) => (d === 0 ? "–" : `${((100 * n) / d).toFixed(1)}%`);

/** Pure: one cell: ✓k solved at try k, ✗ not solved; each try's mark: R refused / malformed, F tests failed. */
export function taskCell(line: TaskLine | undefined): string {
  if (!line) return "";
  const marks = line.attempts
    .map((a) =>
      a.outcome === "passed" ? "✓" : a.outcome === "patch_rejected" ? "R" : a.outcome === "prompt_too_long" ? "L" : "F",
    )
    .join("");
  return `${line.solved ? `✓${line.attempts.length}` : "✗"} ${marks} (${line.attempts.map((a) => a.tier[0]).join("")})`;
}

export function baselineCell(line: BaselineLine | undefined): string {
  if (!line) return "";
  if (line.status === "crashed" || line.status === "unreachable") return line.status;
  const marks = line.tries.map((t) => (t.passed ? "✓" : t.tooLong === true ? "L" : t.wellFormed ? "F" : "R")).join("");
  return `${line.solved ? `✓${line.tries.length}` : "✗"} ${marks}`;
}

/** Pure: a baseline's tries as one role's usage (a prompt that did not fit made no call the server computed). */
function baselineUsage(lines: readonly BaselineLine[], tier: Tier): UsageByRole {
  const tries = lines.flatMap((line) => line.tries);
  const computed = tries.filter((t) => t.computeMs !== undefined);
  return {
    [tier]: {
      calls: tries.filter((t) => t.tooLong !== true).length,
      tokensIn: tries.reduce((s, t) => s + t.tokensIn, 0),
      tokensOut: tries.reduce((s, t) => s + t.tokensOut, 0),
      tokensCached: 0,
      costUsd: 0,
      modelMs: tries.reduce((s, t) => s + t.modelMs, 0),
      computeMs: computed.reduce((s, t) => s + (t.computeMs ?? 0), 0),
      computedCalls: computed.length,
    },
  };
}

/** Pure: the usage table of the arms, when every smol-coder line carries its usage by role (newer runs). */
function usageSection(
  summary: ExercismSummary,
  lines: { tasks: readonly TaskLine[]; baselines: readonly BaselineLine[] },
): string[] {
  const tasks = lines.tasks.filter((t) => isVerdict(t.status));
  if (tasks.some((t) => t.usage === undefined)) return [];
  const smol = summary.arms.find((arm) => arm.arm === "smol-coder");
  const baselines = summary.arms.filter((arm) => arm.arm !== "smol-coder");
  return [
    "## Model calls by tier and role",
    "",
    ...renderUsageTable([
      ...(smol ? [{ name: "smol-coder", byRole: usageByRole(tasks.map((t) => t.usage!)), solved: smol.solved }] : []),
      ...baselines.map((arm) => ({
        name: `baseline ${arm.tier}`,
        byRole: baselineUsage(
          lines.baselines.filter((b) => b.tier === arm.tier && (b.status === "complete" || b.status === "failed")),
          arm.tier as Tier,
        ),
        solved: arm.solved,
      })),
    ]),
    "",
  ];
}

export function renderExercismReport(
  summary: ExercismSummary,
  lines: { tasks: readonly TaskLine[]; baselines: readonly BaselineLine[]; oracle: readonly OracleLine[] },
  title: string,
): string {
  const out = [
    `# ${title}`,
    "",
    `Track: ${summary.track}; exercises: ${summary.exercises}; wall: ${summary.wallSeconds} s.`,
    "",
  ];
  if (summary.oracle) {
    out.push(`Oracle (the maintainers' solutions): **${summary.oracle.passed}/${summary.oracle.total}** pass.`, "");
    if (summary.oracle.failed.length > 0) out.push(`Failed: ${summary.oracle.failed.join(", ")}`, "");
  }
  if (summary.arms.length > 0) {
    const tries = Math.max(...summary.arms.map((a) => a.solvedAfter.length));
    out.push(
      `| arm | tier | model | ${Array.from({ length: tries }, (_, k) => `after try ${k + 1}`).join(" | ")} | well-formed replies | model time | server compute | reply tokens |`,
      `| --- | --- | --- | ${Array.from({ length: tries }, () => "---").join(" | ")} | --- | --- | --- | --- |`,
      ...summary.arms.map(
        (a) =>
          `| ${a.arm} | ${a.tier} | ${a.model} | ${a.solvedAfter.map((n) => `${n}/${a.total} (${pct(n, a.total)})`).join(" | ")} | ${a.wellFormed}/${a.replies} (${pct(a.wellFormed, a.replies)}) | ${a.modelSeconds} s | ${a.computeSeconds === null ? "–" : `${a.computeSeconds} s`} | ${a.tokensOut} |`,
      ),
      "",
      ...summary.paired.map(
        (p) =>
          `Paired, on the ${p.exercises} exercises both have a verdict for: smol-coder ${p.smolCoder.map((n, k) => `${n} after try ${k + 1}`).join(", ")}; the ${p.tier} baseline ${p.baseline.map((n, k) => `${n} after try ${k + 1}`).join(", ")}.`,
      ),
      "",
      `smol-coder's tasks started at: ${Object.entries(summary.startedAt)
        .map(([tier, n]) => `${tier} ${n}`)
        .join(
          ", ",
        )}; replies refused before any test: ${summary.refusedReplies}; replies that also wrote files the task does not own (those edits left out, the rest tested): ${summary.repliesWithIgnoredFiles}.`,
      "",
      "Model time is each call's latency, queueing at the server included (arms that share a server wait for each other); server compute is the model server's own time for the calls (llama.cpp's timings: prompt and generation), – where a server did not report it.",
      "",
      ...usageSection(summary, lines),
      "A try is one model reply that is verified. Cells: ✓k solved at try k, ✗ not solved; then each try: ✓ passed, F tests failed, R refused or malformed, L prompt too long; smol-coder's tiers in brackets (f fast, d deep, r reviewer).",
      "",
    );
    const tiers = TIERS.filter((tier) => lines.baselines.some((b) => b.tier === tier));
    const names = [
      ...new Set([...lines.tasks.map((t) => t.exercise), ...lines.baselines.map((b) => b.exercise)]),
    ].sort();
    out.push(
      `| exercise | smol-coder | ${tiers.map((t) => `baseline ${t}`).join(" | ")} |`,
      `| --- | --- | ${tiers.map(() => "---").join(" | ")} |`,
    );
    for (const name of names) {
      const task = lines.tasks.find((t) => t.exercise === name);
      out.push(
        `| ${name} | ${taskCell(task)} | ${tiers.map((tier) => baselineCell(lines.baselines.find((b) => b.exercise === name && b.tier === tier))).join(" | ")} |`,
      );
    }
    out.push("");
  }
  return `${out.join("\n")}\n`;
}
