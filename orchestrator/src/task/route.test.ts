import { describe, expect, test } from "bun:test";
import type { Tier } from "../types.ts";
import { startTier } from "./route.ts";

const routing = { deepWhenFilesOver: 5, deepWhenDescriptionOver: 1000 };
const files = (n: number) => Array.from({ length: n }, (_, i) => `src/f${i}.ts`);

describe("startTier", () => {
  const cases: {
    name: string;
    task: { description: string; filesOwned: string[]; startTier?: Tier };
    expected: Tier;
  }[] = [
    { name: "small task starts fast", task: { description: "fix add", filesOwned: files(1) }, expected: "fast" },
    { name: "exactly 5 files stays fast", task: { description: "x", filesOwned: files(5) }, expected: "fast" },
    { name: "6 files goes deep", task: { description: "x", filesOwned: files(6) }, expected: "deep" },
    {
      name: "exactly 1000 chars stays fast",
      task: { description: "d".repeat(1000), filesOwned: files(1) },
      expected: "fast",
    },
    { name: "1001 chars goes deep", task: { description: "d".repeat(1001), filesOwned: files(1) }, expected: "deep" },
    {
      name: "explicit fast wins over a big task",
      task: { description: "d".repeat(5000), filesOwned: files(20), startTier: "fast" },
      expected: "fast",
    },
    {
      name: "explicit reviewer wins over a small task",
      task: { description: "x", filesOwned: files(1), startTier: "reviewer" },
      expected: "reviewer",
    },
  ];
  test.each(cases)("$name", ({ task, expected }) => {
    expect(startTier(task, routing)).toBe(expected);
  });

  test("custom thresholds are honoured", () => {
    expect(
      startTier({ description: "abc", filesOwned: files(2) }, { deepWhenFilesOver: 1, deepWhenDescriptionOver: 1000 }),
    ).toBe("deep");
    expect(
      startTier({ description: "abcd", filesOwned: files(1) }, { deepWhenFilesOver: 5, deepWhenDescriptionOver: 3 }),
    ).toBe("deep");
  });
});
