// Test helper: the HumanEval corpus keeps no dataset text. A reply (or the engine's result) that quotes a line of the
// problem's prompt or canonical solution holds a mark in its place, ⟦HE:n⟧ (line n of prompt + canonical solution,
// trimmed); the text is put back from the shared dataset when the corpus is read. Exact both ways.
import type { Problem } from "../../humaneval/dataset.ts";

/** Lines this short are marked only where they are a whole line (as a substring, "0.5" is in "0.55"). */
const MIN_CHARS = 10;
const MARK = /⟦HE:(\d+)⟧/g;

function sourceLines(problem: Pick<Problem, "prompt" | "canonicalSolution">): string[] {
  return `${problem.prompt}${problem.canonicalSolution}`.split("\n").map((line) => line.trim());
}

/**
 * Pure: the text with every quoted line of the problem replaced by its mark: a line of MIN_CHARS or more wherever
 * it occurs (longest first), a shorter one ("False", "0.5", a doctest's answer) where it is a whole line of the text,
 * its indentation kept. No line of the dataset stays in the corpus.
 */
export function markQuotes(text: string, problem: Pick<Problem, "prompt" | "canonicalSolution">): string {
  const lines = sourceLines(problem);
  const order = lines
    .map((line, index) => ({ line, index }))
    .filter(({ line }) => line.length >= MIN_CHARS)
    .sort((a, b) => b.line.length - a.line.length);
  let marked = text;
  for (const { line, index } of order) marked = marked.split(line).join(`⟦HE:${index}⟧`);
  const short = new Map<string, number>();
  lines.forEach((line, index) => {
    if (line.length > 0 && line.length < MIN_CHARS && !short.has(line)) short.set(line, index);
  });
  return marked.replace(/^([ \t]*)(\S(?:.*\S)?)[ \t]*$/gm, (whole, indent: string, line: string) => {
    const index = short.get(line);
    return index === undefined || whole !== `${indent}${line}` ? whole : `${indent}⟦HE:${index}⟧`;
  });
}

/** Pure: the marks replaced by the problem's lines again. */
export function unmarkQuotes(text: string, problem: Pick<Problem, "prompt" | "canonicalSolution">): string {
  const lines = sourceLines(problem);
  return text.replace(MARK, (_, index: string) => lines[Number(index)] ?? "");
}
