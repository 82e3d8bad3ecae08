// The real models: HumanEval problems through the real LiteLLM proxy to the real Qwen2.5-Coder 0.5B (fast-coder)
// and 1.5B (deep-coder), one attempt each, no spec and no mentor, through the real CLI. Every reply must parse and
// apply as an edit, and the problems measured as solved must be solved. Decoding is greedy (temperature 0, as
// smol-coder always sends) on pinned weights (sha256-checked GGUFs) and a pinned llama.cpp (xllamacpp
// 2026.10.11549), so the replies are the same run to run on one machine; a change of CPU could change a token.
// Runs where a stack is up (.ci/run sets SMOL_CODER_REAL_PROXY after `smol-coder stack up --backend llama`).
import { describe, expect, test } from "bun:test";
import path from "node:path";
import { ORCHESTRATOR_DIR, runCli, SHARED_DATASET, type CliResult } from "./helpers.ts";

const PROXY = process.env.SMOL_CODER_REAL_PROXY;
if (!PROXY)
  console.warn(
    "SKIPPED the real models: no SMOL_CODER_REAL_PROXY (smol-coder stack up --backend llama, then set it to the proxy's URL)",
  );
const LOCAL_STACK = path.join(ORCHESTRATOR_DIR, "..", "tasks", "configs", "local-stack.json");

/** Measured on this machine kind through this test on the stack as `stack up` starts it (one thread per server). */
const CASES = {
  fast: {
    problems: ["HumanEval/0", "HumanEval/2", "HumanEval/3", "HumanEval/4"],
    solved: ["HumanEval/0", "HumanEval/2", "HumanEval/3", "HumanEval/4"],
  },
  deep: { problems: ["HumanEval/0", "HumanEval/3"], solved: ["HumanEval/0", "HumanEval/3"] },
} as const;

function solve(problemId: string, tier: "fast" | "deep"): Promise<CliResult> {
  const task = JSON.stringify({
    kind: "humaneval",
    problemId,
    dataset: SHARED_DATASET,
    startTier: tier,
    maxAttempts: 1,
  });
  return runCli(["run", "--config", LOCAL_STACK, "--no-spec", "--no-checkpoints"], {
    stdin: task,
    env: { LITELLM_URL: PROXY! },
  });
}

describe.skipIf(!PROXY)("the real models behind the real proxy", () => {
  for (const tier of ["fast", "deep"] as const) {
    test(`${tier}: every reply applies as an edit; the measured problems are solved`, async () => {
      const { problems, solved } = CASES[tier];
      // One at a time: the server's batching then never changes what a reply is.
      const results: CliResult[] = [];
      for (const id of problems) results.push(await solve(id, tier));
      const summary = results.map((result, index) => {
        const events = result.events.map((event) => event.event);
        const rejected = result.events.find((event) => event.event === "patch_rejected");
        return {
          problem: problems[index],
          exitCode: result.exitCode,
          applied: events.includes("patch_applied"),
          passed: events.includes("verification_passed"),
          rejected: rejected?.reason ?? null,
          // llama.cpp's own compute time, passed on by the real proxy (the figure benchmarks compare arms by).
          computeMs: result.events.find((event) => event.event === "model_call_completed")?.computeMs ?? null,
          stderr: result.stderr.slice(-300),
        };
      });
      // Exit 0 solved, 1 not solved: both are verdicts; anything else is the stack failing.
      for (const row of summary) expect(row.exitCode, JSON.stringify(row)).toBeLessThanOrEqual(1);
      for (const row of summary) expect(row.applied, JSON.stringify(row)).toBe(true);
      for (const row of summary) expect(row.computeMs, JSON.stringify(row)).toBeGreaterThan(0);
      expect(summary.filter((row) => row.passed).map((row) => row.problem)).toEqual([...solved]);
    }, 900_000);
  }
});
