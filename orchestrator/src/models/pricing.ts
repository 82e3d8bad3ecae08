// Pure cost arithmetic: what a call cost, and what the same tokens would have cost at frontier prices.
import type { Price } from "../config/config.ts";
import type { CostSource } from "../types.ts";

export type { CostSource };
export type CallCost = { costUsd: number; source: CostSource };

const PER_MILLION = 1_000_000;

/** Cost of tokens at a price. */
export function priceTokens(tokensIn: number, tokensOut: number, price: Price): number {
  return (tokensIn * price.inputPerMTok + tokensOut * price.outputPerMTok) / PER_MILLION;
}

/**
 * The proxy's own figure (x-litellm-response-cost) wins; otherwise the config's price table.
 * An alias with no price is counted as 0 but marked "unpriced", so reports can say so.
 */
export function callCost(
  call: { alias: string; tokensIn: number; tokensOut: number; headerCostUsd: number | null },
  prices: Record<string, Price>,
): CallCost {
  if (call.headerCostUsd !== null) return { costUsd: call.headerCostUsd, source: "header" };
  const price = prices[call.alias];
  if (!price) return { costUsd: 0, source: "unpriced" };
  return { costUsd: priceTokens(call.tokensIn, call.tokensOut, price), source: "table" };
}

export type TokenTotals = { tokensIn: number; tokensOut: number; costUsd: number };

/**
 * Frontier-only estimate: every token of the run (all tiers and roles) priced at the reviewer's rates,
 * as if the frontier model had done all the work with the same token counts. It is an estimate, not a
 * measurement: a frontier model would likely need fewer attempts, and fewer tokens, on its own.
 */
export function frontierEstimate(
  totals: TokenTotals,
  reviewerPrice: Price,
): { estimateUsd: number; actualUsd: number; savingUsd: number } {
  const estimateUsd = priceTokens(totals.tokensIn, totals.tokensOut, reviewerPrice);
  return { estimateUsd, actualUsd: totals.costUsd, savingUsd: estimateUsd - totals.costUsd };
}
