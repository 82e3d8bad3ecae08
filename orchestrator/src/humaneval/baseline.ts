// The direct baseline, pure: a model asked the way its makers evaluate it (Qwen2.5-Coder's report, EvalPlus:
// greedy, zero-shot, "Can you complete the following Python function?" with the prompt in a python block), the
// reply's first code block taken as the solution. What smol-coder's cascade must beat.
import type { ChatMessage, Tier, Usage } from "../types.ts";

/** One tier's model asked directly over a run's problems. */
export type BaselineSummary = {
  tier: Tier;
  model: string;
  total: number;
  solved: number;
  passAt1: number;
  tokensOut: number;
  wallSeconds: number;
  /** The calls' usage (one per problem): tokens, latency and the servers' compute time where they reported it. */
  usage: Usage;
};

/** The published anchors the report quotes: Qwen2.5-Coder technical report, EvalPlus harness, greedy, bf16. */
export const PUBLISHED =
  "Qwen2.5-Coder technical report (EvalPlus, greedy, bf16), HumanEval pass@1: 0.5B 61.6%, 1.5B 70.7%, 3B 84.1%, 7B 88.4%, 14B 89.6%";

/** The question the makers ask (EvalPlus's instruction prompt); the fast tier's HumanEval tasks ask it too. */
export const MAKERS_QUESTION = "Can you complete the following Python function?";

export function baselineMessages(prompt: string): ChatMessage[] {
  return [{ role: "user", content: `${MAKERS_QUESTION}\n\`\`\`python\n${prompt.trimEnd()}\n\`\`\`` }];
}

const BLOCK = /```[^\n`]*\n([\s\S]*?)(?:```|$)/;

/**
 * The solution file for a reply: its first fenced block (or the whole reply when it has none). A block that does
 * not define the entry point is prefixed with the prompt, as EvalPlus's sanitiser does for a bare body.
 */
export function baselineSolution(reply: string, prompt: string, entryPoint: string): string {
  const code = (BLOCK.exec(reply)?.[1] ?? reply).replace(/\s+$/, "") + "\n";
  const defines = new RegExp(`^\\s*def\\s+${entryPoint}\\s*\\(`, "m").test(code);
  if (defines) return importsOf(prompt, code) + code;
  return `${prompt}${code}`;
}

/** The prompt's import lines the code lacks: a reply that restates the function often drops `from typing import List`. */
function importsOf(prompt: string, code: string): string {
  const have = new Set(code.split("\n").map((line) => line.trim()));
  const missing = prompt.split("\n").filter((line) => /^(from\s+\S+\s+)?import\s/.test(line) && !have.has(line.trim()));
  return missing.length > 0 ? `${missing.join("\n")}\n` : "";
}
