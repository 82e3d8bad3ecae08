import { describe, expect, test } from "bun:test";
import { decide, nextTier, type AttemptSummary, type Decision, type PolicyLimits } from "./policy.ts";
import type { AttemptOutcome, Tier } from "../types.ts";

const DEFAULTS: PolicyLimits = { failuresBeforeEscalation: 2, maxAttempts: 5 };

function h(...entries: [Tier, AttemptOutcome?][]): AttemptSummary[] {
  return entries.map(([tier, outcome]) => ({ tier, outcome: outcome ?? "verification_failed" }));
}

describe("nextTier", () => {
  test.each([
    ["fast", "deep"],
    ["deep", "reviewer"],
    ["reviewer", null],
  ] as const)("%s → %s", (tier, expected) => {
    expect(nextTier(tier)).toBe(expected);
  });
});

describe("decide", () => {
  const cases: {
    name: string;
    history: AttemptSummary[];
    start: Tier;
    limits?: PolicyLimits;
    expected: Partial<Decision> & { action: Decision["action"] };
  }[] = [
    {
      name: "first attempt at the start tier",
      history: [],
      start: "fast",
      expected: { action: "attempt", tier: "fast" },
    },
    {
      name: "first attempt when starting at deep",
      history: [],
      start: "deep",
      expected: { action: "attempt", tier: "deep" },
    },
    {
      name: "retry at the same tier after one failure",
      history: h(["fast"]),
      start: "fast",
      expected: { action: "attempt", tier: "fast" },
    },
    {
      name: "a prompt too long for fast escalates at once",
      history: h(["fast", "prompt_too_long"]),
      start: "fast",
      expected: { action: "escalate", fromTier: "fast", toTier: "deep", reason: "the prompt is too long for fast" },
    },
    {
      name: "a prompt too long for deep after a failed fast attempt escalates to reviewer",
      history: h(["fast"], ["fast"], ["deep", "prompt_too_long"]),
      start: "fast",
      expected: { action: "escalate", fromTier: "deep", toTier: "reviewer" },
    },
    {
      name: "a prompt too long for the reviewer aborts",
      history: h(["reviewer", "prompt_too_long"]),
      start: "reviewer",
      expected: { action: "abort", reason: "the prompt is too long for reviewer, the last tier" },
    },
    {
      name: "the attempt limit still wins over a prompt too long",
      history: h(["fast", "prompt_too_long"]),
      start: "fast",
      limits: { failuresBeforeEscalation: 2, maxAttempts: 1 },
      expected: { action: "abort" },
    },
    {
      name: "escalate fast → deep after two failures",
      history: h(["fast"], ["fast"]),
      start: "fast",
      expected: { action: "escalate", fromTier: "fast", toTier: "deep" },
    },
    {
      name: "retry at deep after one deep failure",
      history: h(["fast"], ["fast"], ["deep"]),
      start: "fast",
      expected: { action: "attempt", tier: "deep" },
    },
    {
      name: "escalate deep → reviewer after two deep failures",
      history: h(["fast"], ["fast"], ["deep"], ["deep"]),
      start: "fast",
      expected: { action: "escalate", fromTier: "deep", toTier: "reviewer" },
    },
    {
      name: "abort at maxAttempts",
      history: h(["fast"], ["fast"], ["deep"], ["deep"], ["reviewer"]),
      start: "fast",
      expected: { action: "abort" },
    },
    {
      name: "complete after a pass",
      history: h(["fast"], ["fast", "passed"]),
      start: "fast",
      expected: { action: "complete" },
    },
    {
      name: "complete after a first-try pass",
      history: h(["deep", "passed"]),
      start: "deep",
      expected: { action: "complete" },
    },
    {
      name: "complete wins over the attempt limit when the last attempt passed",
      history: h(["fast"], ["fast"], ["deep"], ["deep"], ["reviewer", "passed"]),
      start: "fast",
      expected: { action: "complete" },
    },
    {
      name: "start at deep escalates to reviewer",
      history: h(["deep"], ["deep"]),
      start: "deep",
      expected: { action: "escalate", fromTier: "deep", toTier: "reviewer" },
    },
    {
      name: "abort when the last tier is exhausted",
      history: h(["deep"], ["deep"], ["reviewer"], ["reviewer"]),
      start: "deep",
      limits: { failuresBeforeEscalation: 2, maxAttempts: 10 },
      expected: { action: "abort" },
    },
    {
      name: "patch_rejected counts as a failure",
      history: h(["fast", "patch_rejected"], ["fast", "patch_rejected"]),
      start: "fast",
      expected: { action: "escalate", fromTier: "fast", toTier: "deep" },
    },
    {
      name: "mixed patch_rejected and verification_failed escalate",
      history: h(["fast", "patch_rejected"], ["fast", "verification_failed"]),
      start: "fast",
      expected: { action: "escalate", fromTier: "fast", toTier: "deep" },
    },
    {
      name: "custom: escalate after a single failure",
      history: h(["fast"]),
      start: "fast",
      limits: { failuresBeforeEscalation: 1, maxAttempts: 5 },
      expected: { action: "escalate", fromTier: "fast", toTier: "deep" },
    },
    {
      name: "custom: three failures before escalation",
      history: h(["fast"], ["fast"]),
      start: "fast",
      limits: { failuresBeforeEscalation: 3, maxAttempts: 9 },
      expected: { action: "attempt", tier: "fast" },
    },
    {
      name: "custom: maxAttempts 2 aborts before escalating",
      history: h(["fast"], ["fast"]),
      start: "fast",
      limits: { failuresBeforeEscalation: 2, maxAttempts: 2 },
      expected: { action: "abort" },
    },
  ];

  test.each(cases)("$name", ({ history, start, limits, expected }) => {
    expect(decide(history, start, limits ?? DEFAULTS)).toMatchObject(expected);
  });

  test("abort reasons say why", () => {
    const limit = decide(h(["fast"], ["fast"], ["deep"], ["deep"], ["reviewer"]), "fast", DEFAULTS);
    expect(limit).toEqual({ action: "abort", reason: expect.stringContaining("5 of 5") });
    const last = decide(h(["reviewer"], ["reviewer"]), "reviewer", DEFAULTS);
    expect(last).toEqual({ action: "abort", reason: expect.stringContaining("last tier") });
  });

  function simulate(
    start: Tier,
    limits: PolicyLimits,
    outcomes: AttemptOutcome[] = [],
  ): { tiers: Tier[]; final: Decision } {
    const history: AttemptSummary[] = [];
    for (let step = 0; step < 50; step++) {
      const decision = decide(history, start, limits);
      if (decision.action === "abort" || decision.action === "complete")
        return { tiers: history.map((a) => a.tier), final: decision };
      const tier = decision.action === "attempt" ? decision.tier : decision.toTier;
      history.push({ tier, outcome: outcomes[history.length] ?? "verification_failed" });
    }
    throw new Error("policy never terminated");
  }

  test("always failing with defaults runs fast,fast,deep,deep,reviewer then aborts", () => {
    const { tiers, final } = simulate("fast", DEFAULTS);
    expect(tiers).toEqual(["fast", "fast", "deep", "deep", "reviewer"]);
    expect(final.action).toBe("abort");
  });

  test("always failing with a high limit stops when reviewer is exhausted", () => {
    const { tiers, final } = simulate("fast", { failuresBeforeEscalation: 2, maxAttempts: 100 });
    expect(tiers).toEqual(["fast", "fast", "deep", "deep", "reviewer", "reviewer"]);
    expect(final).toMatchObject({ action: "abort", reason: expect.stringContaining("last tier") });
  });

  test("a pass on the third attempt completes at deep", () => {
    const { tiers, final } = simulate("fast", DEFAULTS, ["verification_failed", "patch_rejected", "passed"]);
    expect(tiers).toEqual(["fast", "fast", "deep"]);
    expect(final.action).toBe("complete");
  });
});
