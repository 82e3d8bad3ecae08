// One attempt: prompt → model → patch → apply → check. Whatever happens, it returns one AttemptRecord.
import { callModel, type CallDeps } from "../models/calls.ts";
import { PatchRejected, PromptTooLong } from "../errors.ts";
import { checkLabels } from "../verify/check.ts";
import type { Logger } from "../log/log.ts";
import { scrubSecrets } from "../log/secrets.ts";
import { planPatch } from "../patch/index.ts";
import { extractDiff } from "../patch/extract.ts";
import { buildMessages, shortenedHistory, type AttemptFeedback, type PromptLayout } from "../guidance/prompt.ts";
import type { PreparedTask } from "../task/prepared.ts";
import type { AttemptRecord } from "./state.ts";
import {
  checkAsTheyStand,
  checkAttempt,
  checkUnchanged,
  failingSection,
  ignoredNote,
  type Checker,
  type CheckingDeps,
} from "./checking.ts";
import type { Role, Tier } from "../types.ts";
import { emit } from "../log/events.ts";

export type { Checker };
export type AttemptDeps = CallDeps & CheckingDeps;
export type AttemptInput = { n: number; tier: Tier; feedback: AttemptFeedback[]; guidance: string };

export async function runAttempt(task: PreparedTask, attempt: AttemptInput, deps: AttemptDeps): Promise<AttemptRecord> {
  const { log } = deps;
  const started = performance.now();
  const files = await deps.edits.read();
  const layout = promptLayout(task, deps.patch.layout);
  const format = layout === "chat" ? "whole" : deps.patch.formats[attempt.tier];
  const messages = (feedback: AttemptFeedback[]) =>
    buildMessages({
      description: task.description,
      guidance: attempt.guidance,
      files,
      verify: checkLabels(task.check),
      feedback,
      format,
      layout,
    });
  let prompt = messages(attempt.feedback);
  const record = (
    reply: string,
    fields: Pick<AttemptRecord, "outcome" | "diff" | "errors"> & Partial<AttemptRecord>,
  ): AttemptRecord => ({
    n: attempt.n,
    tier: attempt.tier,
    prompt,
    reply,
    verificationOutput: "",
    durationMs: Math.round(performance.now() - started),
    ...fields,
  });
  const ask = async () => (await callModel(deps, { role: attempt.tier, attempt: attempt.n, messages: prompt })).text;
  let reply: string;
  try {
    reply = await ask().catch(async (error: unknown) => {
      // The history is what grows: cut to the last attempt's errors, the same tier gets one more chance to fit.
      if (!(error instanceof PromptTooLong) || attempt.feedback.length === 0) throw error;
      emit(
        log,
        "prompt_history_shortened",
        {
          tier: attempt.tier,
          attempt: attempt.n,
          reason: error.reason,
          tokensIn: error.tokensIn,
          contextTokens: error.contextTokens,
        },
        { message: "the prompt did not fit; asked again with a shorter history" },
      );
      prompt = messages(shortenedHistory(attempt.feedback));
      return ask();
    });
  } catch (error) {
    if (!(error instanceof PromptTooLong)) throw error;
    // Not the model's failure: it never saw the whole prompt. The policy escalates to a larger context.
    logTooLong(log, attempt.tier, error, attempt.n);
    return record("", { outcome: "prompt_too_long", diff: null, errors: [error.message] });
  }
  let diff: string;
  let ignored: string[] = [];
  let filesLeft: Record<string, string | null> = {};
  try {
    const plan = planPatch({
      reply,
      files,
      maxChangedLines: deps.patch.maxChangedLines,
      smallFileBytes: deps.patch.smallFileBytes,
      asked: format,
    });
    await deps.edits.apply(plan.changes);
    emit(log, "patch_applied", {
      attempt: attempt.n,
      linesChanged: plan.linesChanged,
      format: plan.format,
      files: plan.changes.map((c) => c.path),
      diff: plan.diff,
    });
    diff = plan.diff;
    ignored = plan.ignored;
    filesLeft = Object.fromEntries(plan.changes.map((change) => [change.path, change.content]));
    if (ignored.length > 0)
      emit(
        log,
        "patch_files_ignored",
        { attempt: attempt.n, files: ignored, applied: plan.changes.map((c) => c.path) },
        { message: "the reply also wrote files the task does not own; those edits were not applied" },
      );
  } catch (error) {
    if (!(error instanceof PatchRejected)) throw error;
    const reason = error.message;
    if (error.code === "unchanged")
      return record(reply, await checkUnchanged(task, attempt.n, deps, reason, error.ignored));
    emit(log, "patch_rejected", { attempt: attempt.n, reason });
    // The reason can quote the workspace's files (the closest match to a hunk).
    const refusal = scrubSecrets(`patch rejected: ${reason}`);
    // In the chat layout the retry is shown what the checks say of the files as they stand, as Aider's is (its
    // reply applied nothing, and its tests ran); nothing was written, so no verification event is told.
    const asTheyStand = layout === "chat" ? await checkAsTheyStand(task, deps) : null;
    return record(reply, {
      outcome: "patch_rejected",
      diff: extractDiff(reply) ?? reply,
      errors: [refusal, ...(asTheyStand?.errors ?? [])],
      notes: 1,
      verificationOutput: asTheyStand?.output ?? "",
      ...(asTheyStand ? { failedOutput: failingSection(asTheyStand) } : {}),
    });
  }
  const checked = await checkAttempt(task, attempt.n, deps, diff);
  // Told only when it failed: the next attempt learns not to send those files (the edits of the owned ones were tested).
  const notes = checked.outcome === "passed" ? [] : ignored.map((file) => ignoredNote(file, task.filesOwned));
  return record(reply, {
    diff,
    ...checked,
    filesLeft,
    errors: [...notes, ...checked.errors],
    ...(notes.length > 0 ? { notes: notes.length } : {}),
    ...(ignored.length > 0 ? { ignored } : {}),
  });
}

/**
 * Pure: the layout a task is asked in. A HumanEval task keeps the plain layout, in which its makers' question was
 * measured (the 0.5B's first attempts on all 164: 87 before it, 100 with it); the chat layout was measured on
 * workspace tasks (Exercism), not there. Workspace tasks take the configured layout.
 */
export function promptLayout(task: Pick<PreparedTask, "kind">, configured: PromptLayout): PromptLayout {
  return task.kind === "humaneval" && configured === "chat" ? "plain" : configured;
}

export function logTooLong(log: Logger, role: Role, error: PromptTooLong, attempt: number | null): void {
  emit(
    log,
    "prompt_too_long",
    {
      tier: role,
      model: error.model,
      attempt,
      reason: error.reason,
      tokensIn: error.tokensIn,
      contextTokens: error.contextTokens,
      fix: "raise num_ctx for this alias in litellm/config.yaml and the tier's contextTokens in the config, or use a model with a larger context",
    },
    { message: "prompt too long for the model's context" },
  );
}
