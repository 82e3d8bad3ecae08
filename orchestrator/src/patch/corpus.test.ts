// Runs every case of the patch corpus through planPatch: the right new content, or a rejection.
import { describe, expect, test } from "bun:test";
import { PatchRejected } from "../errors.ts";
import { loadCorpus, withChanges } from "./__fixtures__/corpus.ts";
import { planPatch } from "./index.ts";

const cases = loadCorpus();

test("the corpus has at least 40 cases and covers rejections and every format", () => {
  expect(cases.length).toBeGreaterThanOrEqual(40);
  expect(new Set(cases.map((c) => c.format))).toEqual(new Set(["udiff", "whole", "search-replace"]));
  expect(cases.filter((c) => c.expect === "reject").length).toBeGreaterThanOrEqual(10);
});

describe("patch corpus", () => {
  for (const corpusCase of cases) {
    test(`${corpusCase.name}: ${corpusCase.title}`, () => {
      const input = {
        reply: corpusCase.reply,
        files: corpusCase.before,
        maxChangedLines: corpusCase.maxChangedLines ?? 300,
        smallFileBytes: corpusCase.smallFileLimit ?? 8_000,
      };
      if (corpusCase.after) {
        const plan = planPatch(input);
        expect(Object.fromEntries(withChanges(corpusCase.before, plan.changes))).toEqual(
          Object.fromEntries(corpusCase.after),
        );
        expect(plan.ignored).toEqual(corpusCase.ignored ?? []);
        return;
      }
      let error: unknown;
      try {
        planPatch(input);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(PatchRejected);
      if (corpusCase.reason) expect((error as Error).message.toLowerCase()).toContain(corpusCase.reason.toLowerCase());
    });
  }
});
