import { TIERS, type AttemptOutcome, type Tier } from "../types.ts";
// Pure escalation policy: given what happened so far, what happens next.

export const TIER_ORDER: readonly Tier[] = TIERS;

/** `ignored`: how many files the reply also wrote that the task does not own (left out, for the reports). */
export type AttemptSummary = { tier: Tier; outcome: AttemptOutcome; ignored?: number };
export type PolicyLimits = { failuresBeforeEscalation: number; maxAttempts: number };

export type Decision =
  | { action: "complete" }
  | { action: "attempt"; tier: Tier }
  | { action: "escalate"; fromTier: Tier; toTier: Tier; reason: string }
  | { action: "abort"; reason: string };

export function nextTier(tier: Tier): Tier | null {
  return TIER_ORDER[TIER_ORDER.indexOf(tier) + 1] ?? null;
}

/**
 * Decides the next step from the attempt history.
 * `escalate` means: the next attempt runs at `toTier` (the caller logs the escalation, then attempts there).
 */
export function decide(history: readonly AttemptSummary[], startTier: Tier, limits: PolicyLimits): Decision {
  const last = history.at(-1);
  if (last?.outcome === "passed") return { action: "complete" };
  if (history.length >= limits.maxAttempts) {
    return { action: "abort", reason: `attempt limit reached (${history.length} of ${limits.maxAttempts})` };
  }
  if (!last) return { action: "attempt", tier: startTier };
  const tier = last.tier;
  if (last.outcome === "prompt_too_long") {
    const toTier = nextTier(tier);
    if (!toTier) return { action: "abort", reason: `the prompt is too long for ${tier}, the last tier` };
    return { action: "escalate", fromTier: tier, toTier, reason: `the prompt is too long for ${tier}` };
  }
  const failuresHere = history.filter((attempt) => attempt.tier === tier).length;
  if (failuresHere < limits.failuresBeforeEscalation) return { action: "attempt", tier };
  const toTier = nextTier(tier);
  if (!toTier) return { action: "abort", reason: `${tier} failed ${failuresHere} times and is the last tier` };
  return { action: "escalate", fromTier: tier, toTier, reason: `${failuresHere} failed attempts at ${tier}` };
}
