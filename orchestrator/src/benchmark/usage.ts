// Pure: what a benchmark's model calls cost, per tier and role, in the figure of merit: model-seconds, the model
// servers' own compute time (llama.cpp's timings: prompt evaluation and generation, no queue), beside the calls, the
// prompt tokens (and how many the servers read from their cache), the reply tokens and the latency. Shared by
// bench humaneval and bench exercism, so both report it alike, with model-seconds per solved task.
import { addUsage, EMPTY_USAGE, ROLES, totalUsage, type Role, type Usage } from "../types.ts";

export type UsageByRole = Partial<Record<Role, Usage>>;

/** Pure: the usage of many tasks (or baseline calls), summed per role. */
export function usageByRole(items: readonly UsageByRole[]): Partial<Record<Role, Required<Usage>>> {
  const out: Partial<Record<Role, Required<Usage>>> = {};
  for (const item of items)
    for (const role of ROLES) {
      const usage = item[role];
      if (usage) out[role] = addUsage(out[role] ?? EMPTY_USAGE, usage);
    }
  return out;
}

/** Pure: every role's usage together. */
export const allRoles = (byRole: UsageByRole): Required<Usage> => totalUsage(byRole);

/** Pure: model-seconds, or null unless every call reported its compute time (a partial sum would read as whole). */
export function modelSeconds(usage: Usage): number | null {
  if (usage.calls === 0) return 0;
  return usage.computedCalls === usage.calls ? Math.round((usage.computeMs ?? 0) / 100) / 10 : null;
}

/** Pure: model-seconds per solved task, all solved tasks the denominator; null when unknown or none solved. */
export function secondsPerSolved(usage: Usage, solved: number): number | null {
  const seconds = modelSeconds(usage);
  return seconds === null || solved === 0 ? null : Math.round((seconds / solved) * 10) / 10;
}

const cell = (value: number | null, unit = " s") => (value === null ? "–" : `${value}${unit}`);

/**
 * Pure: the table of usage by role, one row per role that made calls and a total row for each arm, with
 * model-seconds per solved task. `arms` are named rows sets: smol-coder's roles, and each baseline's one role.
 */
export function renderUsageTable(arms: readonly { name: string; byRole: UsageByRole; solved: number }[]): string[] {
  const rows = arms.flatMap(({ name, byRole, solved }) => {
    const roles = ROLES.filter((role) => byRole[role]);
    const row = (label: string, usage: Usage, perSolved: string) =>
      `| ${label} | ${usage.calls} | ${usage.tokensIn} | ${usage.tokensCached} | ${usage.tokensOut} | ${Math.round((usage.modelMs ?? 0) / 100) / 10} s | ${cell(modelSeconds(usage))} | ${perSolved} |`;
    const total = allRoles(byRole);
    return [
      ...(roles.length > 1 ? roles.map((role) => row(`${name}: ${role}`, byRole[role]!, "")) : []),
      row(
        `**${name}**${roles.length === 1 ? ` (${roles[0]})` : ""}`,
        total,
        `${cell(secondsPerSolved(total, solved))} (${solved} solved)`,
      ),
    ];
  });
  return [
    "| arm: role | calls | prompt tokens | of them cached | reply tokens | latency | model-seconds | model-seconds per solved task |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...rows,
    "",
    "Model-seconds are the model servers' own compute time for the calls (llama.cpp's timings: prompt evaluation and generation), without the queue at a busy server that latency counts; – where a server did not report it.",
  ];
}
