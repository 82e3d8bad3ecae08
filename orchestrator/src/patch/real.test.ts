// The real-reply corpus: replies of Qwen2.5-Coder 0.5B and 1.5B recorded by bench/formats.ts (bench/corpus.ts makes
// the entries), each judged by reading it: applied as the model meant (the file it meant, exactly), or rightly
// refused (the reason the model is told). The engine must keep every judgment: no silent wrong application.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { PatchRejected } from "../errors.ts";
import { EDIT_FORMATS } from "./types.ts";
import { planPatch } from "./index.ts";
import { problem } from "../verify/__fixtures__/grader/problems.ts";
import { unmarkQuotes } from "./__fixtures__/quotes.ts";

const Entry = z.object({
  id: z.string(),
  model: z.string(),
  format: z.enum(EDIT_FORMATS),
  task: z.string(),
  /** A workspace's or an Exercism stub's files; absent for HumanEval, whose stub is read from the shared dataset. */
  files: z.record(z.string(), z.string()).optional(),
  reply: z.string(),
  expect: z.enum(["apply", "reject"]),
  after: z.record(z.string(), z.string().nullable()).optional(),
  reason: z.string().optional(),
  judged: z.string().min(5),
});
const read = (name: string) =>
  readFileSync(path.join(import.meta.dir, "__fixtures__", name), "utf8")
    .trim()
    .split("\n")
    .map((line) => Entry.parse(JSON.parse(line)))
    .map(withQuotes);
/** A HumanEval entry's quotes of its problem are marks in the file (quotes.ts): put back from the shared dataset. */
function withQuotes(entry: z.infer<typeof Entry>): z.infer<typeof Entry> {
  if (entry.files) return entry;
  const source = problem(entry.task);
  const unmark = (text: string) => unmarkQuotes(text, source);
  return {
    ...entry,
    reply: unmark(entry.reply),
    ...(entry.reason ? { reason: unmark(entry.reason) } : {}),
    ...(entry.after
      ? {
          after: Object.fromEntries(
            Object.entries(entry.after).map(([name, text]) => [name, text === null ? null : unmark(text)]),
          ),
        }
      : {}),
  };
}
/** HumanEval and the small workspaces (bench/formats.ts), and Exercism stubs (bench exercism --debug; MIT, see the NOTICE). */
const humanEval = read("real-replies.jsonl");
const exercism = read("exercism-replies.jsonl");
const entries = [...humanEval, ...exercism];
/** The files the model saw: a HumanEval entry's solution.py is the problem's prompt (never copied into the repo). */
const filesOf = (entry: z.infer<typeof Entry>) => entry.files ?? { "solution.py": problem(entry.task).prompt };

test("the corpus holds at least 150 real replies, from both models, in every format, each judged", () => {
  expect(humanEval.length).toBeGreaterThanOrEqual(150);
  expect(exercism.length).toBeGreaterThanOrEqual(4);
  expect(readFileSync(path.join(import.meta.dir, "__fixtures__", "exercism-replies.NOTICE.md"), "utf8")).toContain(
    "Copyright (c) 2021 Exercism",
  );
  expect(new Set(entries.map((entry) => entry.model))).toEqual(
    new Set(["qwen2.5-coder-0.5b-instruct", "qwen2.5-coder-1.5b-instruct"]),
  );
  expect(new Set(entries.map((entry) => entry.format))).toEqual(new Set(EDIT_FORMATS));
  expect(new Set(entries.map((entry) => entry.id)).size).toBe(entries.length);
});

describe("real replies", () => {
  for (const entry of entries) {
    test(`${entry.id}: ${entry.judged}`, () => {
      const input = {
        reply: entry.reply,
        files: new Map(Object.entries(filesOf(entry))),
        maxChangedLines: 300,
        asked: entry.format,
      };
      if (entry.expect === "apply") {
        const plan = planPatch(input);
        expect(Object.fromEntries(plan.changes.map((change) => [change.path, change.content]))).toEqual(entry.after!);
        return;
      }
      let error: unknown;
      try {
        planPatch(input);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(PatchRejected);
      expect((error as Error).message.split("\n")[0]).toBe(entry.reason!);
      // Exactly the replies that change nothing are checked as the files stand (run/attempt.ts), not refused.
      expect((error as PatchRejected).code === "unchanged").toBe(entry.reason!.startsWith("the patch changes nothing"));
    });
  }
});
