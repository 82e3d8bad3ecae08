// One attempt: prompt → model → patch → apply → check. Whatever happens, it returns one AttemptRecord.
import { callModel, type CallDeps } from "../models/calls.ts";
import { checkLabels, runCheck, type Check, type CheckDeps, type CheckResult } from "../verify/check.ts";
import type { Config } from "../config/config.ts";
import { LandingConflict, PatchRejected, PromptTooLong } from "../errors.ts";
import type { Logger } from "../log/log.ts";
import { scrubSecrets } from "../log/secrets.ts";
import { planPatch } from "../patch/index.ts";
import { extractDiff } from "../patch/extract.ts";
import { buildMessages, shortenedHistory, type AttemptFeedback, type PromptLayout } from "../guidance/prompt.ts";
import type { PreparedTask } from "../task/prepared.ts";
import type { Candidate } from "../sandbox/view.ts";
import type { Edits, LandResult } from "./edits.ts";
import type { AttemptRecord } from "./state.ts";
import type { Role, Tier } from "../types.ts";
import { emit } from "../log/events.ts";

/** Runs a task's check: the real one (runCheck) by default; tests hand in a scripted one. */
export type Checker = (check: Check, root: string, owned: string[], candidate?: Candidate) => Promise<CheckResult>;
export type AttemptDeps = CallDeps &
  Omit<CheckDeps, "signal"> & { patch: Config["patch"]; checker?: Checker; edits: Edits };
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
    return record(reply, {
      outcome: "patch_rejected",
      diff: extractDiff(reply) ?? reply,
      errors: [scrubSecrets(`patch rejected: ${reason}`)],
    });
  }
  const checked = await checkAttempt(task, attempt.n, deps, diff);
  // Told only when it failed: the next attempt learns not to send those files (the edits of the owned ones were tested).
  const notes = checked.outcome === "passed" ? [] : ignored.map((file) => ignoredNote(file, task.filesOwned));
  return record(reply, {
    diff,
    ...checked,
    errors: [...notes, ...checked.errors],
    ...(ignored.length > 0 ? { ignored } : {}),
  });
}

/**
 * A reply that holds the owned files as they are (or changes only their blank lines) proposes that nothing need
 * change. The checks run on the files as they stand, in the task's view; nothing is written or landed. Failing, the
 * model sees their errors, which say more than a refusal. Passing, the checks could not tell the task done, so the
 * reply is refused, unless patch.acceptUnchanged makes the checks the whole definition of done (Aider's protocol
 * scores a refactoring exercise's file written back as solved: on the 0.5B's recorded Exercism replies, markdown's).
 */
async function checkUnchanged(
  task: PreparedTask,
  n: number,
  deps: AttemptDeps,
  reason: string,
  ignored: readonly string[],
): Promise<Pick<AttemptRecord, "outcome" | "diff" | "errors" | "verificationOutput" | "unchanged" | "ignored">> {
  emit(deps.log, "patch_unchanged", { attempt: n, reason });
  emit(deps.log, "verification_started", { attempt: n, commands: checkLabels(task.check) });
  const checked = scrubbed(await checkerOf(deps)(task.check, task.root, task.filesOwned, deps.edits.candidate()));
  deps.signal?.throwIfAborted();
  const files = task.filesOwned.join(", ");
  const verificationOutput = checked.output;
  const notes = ignored.map((file) => ignoredNote(file, task.filesOwned));
  const left = ignored.length > 0 ? { ignored: [...ignored] } : {};
  if (!checked.passed) {
    emitVerdict(deps.log, n, checked);
    const note = `your reply changed nothing in ${files} but blank lines at most, and the checks fail on ${files} as it stands`;
    const errors = [note, ...notes, ...checked.errors];
    return { outcome: "verification_failed", diff: null, errors, verificationOutput, ...left };
  }
  if (deps.patch.acceptUnchanged) {
    emitVerdict(deps.log, n, checked);
    return { outcome: "passed", diff: null, errors: [], verificationOutput, unchanged: true, ...left };
  }
  const refusal = `patch rejected: your reply changed nothing in ${files} but blank lines at most, and the checks already pass on ${files} as it stands, so they cannot show the task done; make the change the task asks for`;
  emit(deps.log, "patch_rejected", { attempt: n, reason: refusal });
  return { outcome: "patch_rejected", diff: null, errors: [refusal, ...notes], verificationOutput, ...left };
}

/**
 * Pure: the layout a task is asked in. A HumanEval task keeps the plain layout, in which its makers' question was
 * measured (the 0.5B's first attempts on all 164: 87 before it, 100 with it); the chat layout was measured on
 * workspace tasks (Exercism), not there. Workspace tasks take the configured layout.
 */
export function promptLayout(task: Pick<PreparedTask, "kind">, configured: PromptLayout): PromptLayout {
  return task.kind === "humaneval" && configured === "chat" ? "plain" : configured;
}

/** Pure: what the model is told of a file it wrote but may not change. */
export function ignoredNote(file: string, owned: readonly string[]): string {
  return `your reply also rewrote ${file}, which this task does not own: that edit was not applied (only ${owned.join(", ")} may change; the tests are fixed)`;
}

async function checkAttempt(
  task: PreparedTask,
  n: number,
  deps: AttemptDeps,
  diff: string,
): Promise<Pick<AttemptRecord, "outcome" | "errors" | "verificationOutput" | "conflict">> {
  const { log, edits } = deps;
  // Before the event: whatever changes in the workspace from the moment verification is announced is seen at landing.
  const since = await edits.fingerprint();
  emit(log, "verification_started", { attempt: n, commands: checkLabels(task.check) });
  const checker = checkerOf(deps);
  const check = async () => scrubbed(await checker(task.check, task.root, task.filesOwned, edits.candidate()));
  let checked = await check();
  deps.signal?.throwIfAborted();
  if (checked.passed && edits.private) {
    // Verified in the task's view: lands now, on the workspace it was verified against (or fails on the new one).
    let landing: LandResult;
    try {
      landing = await edits.land(since, check, diff);
    } catch (error) {
      if (!(error instanceof LandingConflict)) throw error;
      return {
        outcome: "passed",
        errors: [],
        verificationOutput: checked.output,
        conflict: { files: error.files, diff: error.diff },
      };
    }
    if (landing.landed)
      emit(
        log,
        "change_landed",
        { attempt: n, files: task.filesOwned, rechecked: landing.rechecked },
        { message: "verified change landed" },
      );
    else {
      checked = {
        ...landing.recheck,
        errors: landing.recheck.errors.map(
          (error) => `after the workspace changed, the change no longer passes: ${error}`,
        ),
      };
      emit(
        log,
        "landing_recheck_failed",
        { attempt: n },
        { message: "the workspace changed while the change was verified, and it no longer passes" },
      );
    }
  }
  emitVerdict(log, n, checked);
  if (checked.passed) return { outcome: "passed", errors: [], verificationOutput: checked.output };
  return { outcome: "verification_failed", errors: checked.errors, verificationOutput: checked.output };
}

/** The verdict's event: verification_passed, or verification_failed with the command that decided and its errors. */
function emitVerdict(log: AttemptDeps["log"], n: number, checked: CheckResult): void {
  if (checked.passed) {
    emit(log, "verification_passed", { attempt: n, durationMs: checked.durationMs });
    return;
  }
  emit(log, "verification_failed", {
    attempt: n,
    command: checked.decidedBy,
    errorCount: checked.errors.length,
    errors: checked.errors,
    durationMs: checked.durationMs,
  });
}

/** The task's check: the one the deps hand in (tests), else the real one. */
function checkerOf(deps: AttemptDeps): Checker {
  return deps.checker ?? ((check, root, owned, candidate) => runCheck(check, root, deps, owned, candidate));
}

/** Verification output can print the environment's secrets; none reaches a prompt, the journal or the store. */
function scrubbed(result: CheckResult): CheckResult {
  return {
    ...result,
    errors: result.errors.map(scrubSecrets),
    output: scrubSecrets(result.output),
    decidedBy: scrubSecrets(result.decidedBy),
  };
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
