import { describe, expect, test } from "bun:test";
import type { Usage } from "../types.ts";
import { allRoles, modelSeconds, renderUsageTable, secondsPerSolved, usageByRole } from "./usage.ts";

const usage = (calls: number, computeMs: number, computedCalls = calls, modelMs = computeMs * 3): Usage => ({
  calls,
  tokensIn: 100 * calls,
  tokensOut: 10 * calls,
  tokensCached: 40 * calls,
  costUsd: 0,
  modelMs,
  computeMs,
  computedCalls,
});

describe("usage by role and model-seconds", () => {
  test("summed per role over tasks; all roles together", () => {
    const byRole = usageByRole([{ fast: usage(2, 4_000) }, { fast: usage(1, 1_000), deep: usage(1, 9_000) }]);
    expect(byRole.fast).toMatchObject({
      calls: 3,
      tokensIn: 300,
      tokensCached: 120,
      computeMs: 5_000,
      computedCalls: 3,
    });
    expect(byRole.deep).toMatchObject({ calls: 1, computeMs: 9_000 });
    expect(allRoles(byRole)).toMatchObject({ calls: 4, computeMs: 14_000, modelMs: 42_000 });
  });

  test("model-seconds only when every call reported its compute time; per solved task over all solved", () => {
    expect(modelSeconds(usage(3, 12_345))).toBe(12.3);
    expect(modelSeconds(usage(3, 12_345, 2))).toBeNull();
    expect(modelSeconds(usage(0, 0))).toBe(0);
    expect(secondsPerSolved(usage(3, 12_000), 4)).toBe(3);
    expect(secondsPerSolved(usage(3, 12_000), 0)).toBeNull();
    expect(secondsPerSolved(usage(3, 12_000, 1), 4)).toBeNull();
  });

  test("the table: a row per role when an arm has several, a total row per arm with its per-solved figure", () => {
    const table = renderUsageTable([
      { name: "smol-coder", byRole: { fast: usage(2, 4_000), mentor: usage(1, 2_000, 0) }, solved: 2 },
      { name: "fast model asked directly", byRole: { fast: usage(3, 6_000) }, solved: 3 },
    ]).join("\n");
    expect(table).toContain("| smol-coder: fast | 2 | 200 | 80 | 20 | 12 s | 4 s |  |");
    expect(table).toContain("| smol-coder: mentor | 1 | 100 | 40 | 10 | 6 s | – |  |");
    expect(table).toContain("| **smol-coder** | 3 | 300 | 120 | 30 | 18 s | – | – (2 solved) |");
    expect(table).toContain(
      "| **fast model asked directly** (fast) | 3 | 300 | 120 | 30 | 18 s | 6 s | 2 s (3 solved) |",
    );
  });
});
