// The checks of one attempt: on the reply as applied (landing it when it passes in a private view), on the files as
// they stand (a reply that changed nothing, or a refused one in the chat layout), the verdict's events, and what
// the model is told of each.
import type { Config } from "../config/config.ts";
import { LandingConflict } from "../errors.ts";
import type { Logger } from "../log/log.ts";
import { scrubSecrets } from "../log/secrets.ts";
import { emit } from "../log/events.ts";
import { commandSection } from "../guidance/chat.ts";
import type { PreparedTask } from "../task/prepared.ts";
import type { Candidate } from "../sandbox/view.ts";
import { checkLabels, runCheck, type Check, type CheckDeps, type CheckResult } from "../verify/check.ts";
import type { Edits, LandResult } from "./edits.ts";
import type { AttemptRecord } from "./state.ts";

/** Runs a task's check: the real one (runCheck) by default; tests hand in a scripted one. */
export type Checker = (check: Check, root: string, owned: string[], candidate?: Candidate) => Promise<CheckResult>;
export type CheckingDeps = Omit<CheckDeps, "signal"> & {
  patch: Config["patch"];
  checker?: Checker;
  edits: Edits;
  log: Logger;
  signal?: AbortSignal;
};

/**
 * A reply that holds the owned files as they are (or changes only their blank lines) proposes that nothing need
 * change. The checks run on the files as they stand, in the task's view; nothing is written or landed. Failing, the
 * model sees their errors, which say more than a refusal. Passing, the checks could not tell the task done, so the
 * reply is refused, unless patch.acceptUnchanged makes the checks the whole definition of done (Aider's protocol
 * scores a refactoring exercise's file written back as solved: on the 0.5B's recorded Exercism replies, markdown's).
 */
export async function checkUnchanged(
  task: PreparedTask,
  n: number,
  deps: CheckingDeps,
  reason: string,
  ignored: readonly string[],
): Promise<
  Pick<
    AttemptRecord,
    "outcome" | "diff" | "errors" | "notes" | "verificationOutput" | "failedOutput" | "unchanged" | "ignored"
  >
> {
  emit(deps.log, "patch_unchanged", { attempt: n, reason });
  emit(deps.log, "verification_started", { attempt: n, commands: checkLabels(task.check) });
  const checked = await checkAsTheyStand(task, deps);
  const files = task.filesOwned.join(", ");
  const verificationOutput = checked.output;
  const notes = ignored.map((file) => ignoredNote(file, task.filesOwned));
  const left = ignored.length > 0 ? { ignored: [...ignored] } : {};
  if (!checked.passed) {
    emitVerdict(deps.log, n, checked);
    const note = unchangedNote(files);
    const errors = [note, ...notes, ...checked.errors];
    const failedOutput = failingSection(checked);
    return {
      outcome: "verification_failed",
      diff: null,
      errors,
      notes: 1 + notes.length,
      verificationOutput,
      failedOutput,
      ...left,
    };
  }
  if (deps.patch.acceptUnchanged) {
    emitVerdict(deps.log, n, checked);
    return { outcome: "passed", diff: null, errors: [], verificationOutput, unchanged: true, ...left };
  }
  const refusal = `patch rejected: your reply changed nothing in ${files} but blank lines at most, and the checks already pass on ${files} as it stands, so they cannot show the task done; make the change the task asks for`;
  emit(deps.log, "patch_rejected", { attempt: n, reason: refusal });
  return {
    outcome: "patch_rejected",
    diff: null,
    errors: [refusal, ...notes],
    notes: 1 + notes.length,
    verificationOutput,
    ...left,
  };
}

/** Pure: the output of the check that failed alone (verification's output holds every command's, "$ command" first). */
export function failingSection(checked: CheckResult): string {
  return commandSection(checked.output, checked.decidedBy);
}

/** The task's checks on the owned files as they stand in the task's view (nothing of the reply written). */
export async function checkAsTheyStand(task: PreparedTask, deps: CheckingDeps): Promise<CheckResult> {
  const checked = scrubbed(await checkerOf(deps)(task.check, task.root, task.filesOwned, deps.edits.candidate()));
  deps.signal?.throwIfAborted();
  return checked;
}

/** Pure: what the model is told of a reply that changed nothing, when the checks fail on the files as they stand. */
export function unchangedNote(files: string): string {
  return `your reply changed nothing in ${files} but blank lines at most, and the checks fail on ${files} as it stands`;
}

/** Pure: what the model is told of a file it wrote but may not change. */
export function ignoredNote(file: string, owned: readonly string[]): string {
  return `your reply also rewrote ${file}, which this task does not own: that edit was not applied (only ${owned.join(", ")} may change; the tests are fixed)`;
}

export async function checkAttempt(
  task: PreparedTask,
  n: number,
  deps: CheckingDeps,
  diff: string,
): Promise<Pick<AttemptRecord, "outcome" | "errors" | "verificationOutput" | "failedOutput" | "conflict">> {
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
  const { errors, output } = checked;
  return { outcome: "verification_failed", errors, verificationOutput: output, failedOutput: failingSection(checked) };
}

/** The verdict's event: verification_passed, or verification_failed with the command that decided and its errors. */
function emitVerdict(log: Logger, n: number, checked: CheckResult): void {
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
function checkerOf(deps: CheckingDeps): Checker {
  return deps.checker ?? ((check, root, owned, candidate) => runCheck(check, root, deps, owned, candidate));
}

/** Verification output can print the environment's secrets; none reaches a prompt, the journal or the store. */
export function scrubbed(result: CheckResult): CheckResult {
  return {
    ...result,
    errors: result.errors.map(scrubSecrets),
    output: scrubSecrets(result.output),
    decidedBy: scrubSecrets(result.decidedBy),
  };
}
