import { describe, expect, test } from "bun:test";
import { buildConfig } from "../config/config.ts";
import { callCost, frontierEstimate, priceTokens } from "./pricing.ts";

const prices = buildConfig([]).prices;

describe("callCost", () => {
  test("the proxy's header wins over the table", () => {
    expect(callCost({ alias: "reviewer", tokensIn: 1_000_000, tokensOut: 0, headerCostUsd: 0.5 }, prices)).toEqual({
      costUsd: 0.5,
      source: "header",
    });
  });

  test("a header of 0 is still the proxy's figure", () => {
    expect(callCost({ alias: "reviewer", tokensIn: 10, tokensOut: 10, headerCostUsd: 0 }, prices)).toEqual({
      costUsd: 0,
      source: "header",
    });
  });

  test("table prices per million tokens, input and output apart", () => {
    const cost = callCost({ alias: "reviewer", tokensIn: 2_000, tokensOut: 1_000, headerCostUsd: null }, prices);
    expect(cost.source).toBe("table");
    expect(cost.costUsd).toBeCloseTo((2_000 * 3 + 1_000 * 15) / 1e6, 12);
  });

  test("local aliases cost nothing", () => {
    for (const alias of ["fast-coder", "deep-coder", "spec-writer"]) {
      expect(callCost({ alias, tokensIn: 5_000, tokensOut: 5_000, headerCostUsd: null }, prices)).toEqual({
        costUsd: 0,
        source: "table",
      });
    }
  });

  test("an alias missing from the table is unpriced, not silently free", () => {
    expect(callCost({ alias: "my-model", tokensIn: 5, tokensOut: 5, headerCostUsd: null }, prices)).toEqual({
      costUsd: 0,
      source: "unpriced",
    });
  });
});

describe("prices in the config", () => {
  test("pricing one alias keeps the default prices of the others", () => {
    const config = buildConfig([{ prices: { "my-model": { inputPerMTok: 1, outputPerMTok: 2 } } }]);
    expect(config.prices["my-model"]).toEqual({ inputPerMTok: 1, outputPerMTok: 2 });
    expect(config.prices.reviewer).toEqual({ inputPerMTok: 3, outputPerMTok: 15 });
  });

  test("a negative price is a config error", () => {
    expect(() => buildConfig([{ prices: { reviewer: { inputPerMTok: -1, outputPerMTok: 0 } } }])).toThrow(
      /prices\.reviewer\.inputPerMTok/,
    );
  });
});

describe("frontierEstimate", () => {
  test("all tokens at the reviewer's rates, and the saving against what was paid", () => {
    const result = frontierEstimate(
      { tokensIn: 1_000_000, tokensOut: 200_000, costUsd: 0.25 },
      { inputPerMTok: 3, outputPerMTok: 15 },
    );
    expect(result.estimateUsd).toBeCloseTo(6, 10);
    expect(result.actualUsd).toBe(0.25);
    expect(result.savingUsd).toBeCloseTo(5.75, 10);
  });

  test("priceTokens is linear", () => {
    const price = { inputPerMTok: 1.5, outputPerMTok: 4 };
    expect(priceTokens(2, 3, price)).toBeCloseTo(priceTokens(1, 0, price) * 2 + priceTokens(0, 1, price) * 3, 15);
  });
});
