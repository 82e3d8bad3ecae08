import { describe, expect, test } from "bun:test";
import {
  foldAttempt,
  foldCall,
  foldCheckpoint,
  foldEscalation,
  foldSpec,
  initialState,
  taskOutcome,
  type AttemptRecord,
} from "./state.ts";
import type { AttemptOutcome } from "../types.ts";

const record = (n: number, outcome: AttemptOutcome, errors: string[] = []): AttemptRecord => ({
  n,
  tier: "fast",
  prompt: [],
  reply: "r",
  diff: `diff ${n}`,
  outcome,
  errors,
  verificationOutput: "",
  durationMs: 5,
});

describe("foldAttempt", () => {
  test.each([
    ["passed", [], 0],
    ["verification_failed", ["E assert 1 == 2"], 1],
    ["patch_rejected", ["patch rejected: hunk not found"], 1],
    ["prompt_too_long", ["the backend saw part of the prompt"], 0],
  ] as const)(
    "%s: history grows, last errors kept, feedback only when the model can learn from it",
    (outcome, errors, feedback) => {
      const state = foldAttempt(initialState("fast"), record(1, outcome, [...errors]));
      expect(state.history).toEqual([{ tier: "fast", outcome }]);
      expect(state.lastErrors).toEqual([...errors]);
      expect(state.feedback).toHaveLength(feedback);
      if (feedback)
        expect(state.feedback[0]).toEqual({
          attempt: 1,
          tier: "fast",
          kind: outcome as "verification_failed",
          diff: "diff 1",
          errors: [...errors],
          exchange: { reply: "r", notes: [], output: "", errors: [...errors] },
        });
    },
  );

  test("the chat layout's exchange: the reply, the engine's remarks apart from the checks' errors, the output", () => {
    const state = foldAttempt(initialState("fast"), {
      ...record(1, "patch_rejected", ["patch rejected: no edit found", "E assert 1 == 2"]),
      notes: 1,
      verificationOutput: "$ build\nok\n$ pytest\nE assert 1 == 2",
      failedOutput: "E assert 1 == 2",
      filesLeft: { "a.py": "x = 3\n" },
    });
    expect(state.feedback[0]!.exchange).toEqual({
      reply: "r",
      notes: ["patch rejected: no edit found"],
      output: "E assert 1 == 2",
      errors: ["E assert 1 == 2"],
      files: { "a.py": "x = 3\n" },
    });
  });

  test("the state folded into is never changed", () => {
    const before = initialState("fast");
    const after = foldAttempt(before, record(1, "verification_failed", ["x"]));
    expect(before.history).toEqual([]);
    expect(after).not.toBe(before);
  });
});

describe("the other folds and the outcome", () => {
  test("calls sum per role; escalation moves the tier; spec and checkpoints join the guidance", () => {
    let state = initialState("fast");
    const call = {
      role: "fast" as const,
      alias: "fast-coder",
      attempt: 1,
      tokensIn: 10,
      tokensOut: 2,
      tokensCached: 6,
      latencyMs: 1,
      computeMs: 3,
      costUsd: 0.5,
      costSource: "table" as const,
      retries: 0,
    };
    // The mentor's server said nothing of its compute time (a frontier model): not counted as computed.
    state = foldCall(foldCall(state, call), { ...call, role: "mentor", computeMs: null });
    state = foldCall(state, call);
    state = foldEscalation(state, "deep");
    state = foldSpec(state, "the spec");
    state = foldCheckpoint(state, null);
    state = foldCheckpoint(state, {
      n: 1,
      afterAttempt: 2,
      fromTier: "fast",
      toTier: "deep",
      stage: "strategy",
      sections: { analysis: "a", rootCause: "", fix: "", edgeCases: "" },
    });
    state = foldAttempt(state, { ...record(1, "passed"), tier: "deep" });
    expect(state.usage).toEqual({
      fast: {
        calls: 2,
        tokensIn: 20,
        tokensOut: 4,
        tokensCached: 12,
        costUsd: 1,
        modelMs: 2,
        computeMs: 6,
        computedCalls: 2,
      },
      mentor: {
        calls: 1,
        tokensIn: 10,
        tokensOut: 2,
        tokensCached: 6,
        costUsd: 0.5,
        modelMs: 1,
        computeMs: 0,
        computedCalls: 0,
      },
    });
    const outcome = taskOutcome("t", state, "complete", 42, { commit: "abc" });
    expect(outcome).toMatchObject({
      taskId: "t",
      status: "complete",
      totalAttempts: 1,
      finalTier: "deep",
      passedFirstAttempt: true,
      escalations: 1,
      checkpoints: 1,
      wallMs: 42,
      commit: "abc",
    });
    expect(state.guidance.spec).toBe("the spec");
  });
});
