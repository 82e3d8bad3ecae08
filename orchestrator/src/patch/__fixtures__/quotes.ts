// Test helper: the HumanEval corpus keeps no dataset text. A reply (or the engine's result) that quotes a line of the
// problem's prompt or canonical solution holds a mark in its place, ⟦HE:n⟧ (line n of prompt + canonical solution,
// trimmed); the text is put back from the shared dataset when the corpus is read. Exact both ways.
import type { Problem } from "../../humaneval/dataset.ts";

/** Lines this short are left as they are: a mark would say more than the words. */
const MIN_CHARS = 10;
const MARK = /⟦HE:(\d+)⟧/g;

function sourceLines(problem: Pick<Problem, "prompt" | "canonicalSolution">): string[] {
  return `${problem.prompt}${problem.canonicalSolution}`.split("\n").map((line) => line.trim());
}

/** Pure: the text with every quoted line of the problem (MIN_CHARS or longer) replaced by its mark, longest first. */
export function markQuotes(text: string, problem: Pick<Problem, "prompt" | "canonicalSolution">): string {
  const lines = sourceLines(problem);
  const order = lines
    .map((line, index) => ({ line, index }))
    .filter(({ line }) => line.length >= MIN_CHARS)
    .sort((a, b) => b.line.length - a.line.length);
  let marked = text;
  for (const { line, index } of order) marked = marked.split(line).join(`⟦HE:${index}⟧`);
  return marked;
}

/** Pure: the marks replaced by the problem's lines again. */
export function unmarkQuotes(text: string, problem: Pick<Problem, "prompt" | "canonicalSolution">): string {
  const lines = sourceLines(problem);
  return text.replace(MARK, (_, index: string) => lines[Number(index)] ?? "");
}
