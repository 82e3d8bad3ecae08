// The task loop: spec, then attempts folded into the loop state, checkpoints and escalations by policy; then
// the landing (commit) on success or the restore on abort. Each of those is its own function.
// Only the attempts are undone on an error: once verification has passed, the change is never restored away.
import { writeCheckpoint, writeSpec, type AdvisorDeps } from "../guidance/advisor.ts";
import type { Config } from "../config/config.ts";
import {
  CommitFailed,
  EndpointRejected,
  EndpointUnreachable,
  isAbort,
  LandingConflict,
  PromptTooLong,
} from "../errors.ts";
import { checkpointDue, renderGuidance } from "../guidance/guidance.ts";
import type { TaskJournal } from "./journal.ts";
import type { Logger } from "../log/log.ts";
import { scrubSecrets } from "../log/secrets.ts";
import { checkLabels } from "../verify/check.ts";
import type { PreparedTask } from "../task/prepared.ts";
import { commitOwned } from "../task/workspace.ts";
import { logTooLong, runAttempt, type AttemptDeps } from "./attempt.ts";
import { inPlaceEdits, privateEdits, type Edits, type LandingHooks } from "./edits.ts";
import { decide, type PolicyLimits } from "./policy.ts";
import {
  foldAttempt,
  foldCall,
  foldCheckpoint,
  foldEscalation,
  foldSpec,
  initialState,
  taskOutcome,
  type LoopState,
  type TaskOutcome,
} from "./state.ts";
import type { CallRecord, Role, TaskStatus, Tier } from "../types.ts";
import { emit } from "../log/events.ts";

export type { TaskOutcome };
export type OrchestratorDeps = Omit<AttemptDeps, "onCall" | "edits"> & {
  /** Told when a private edit (task.edits "private") starts and ends writing the workspace: the daemon's recovery. */
  landing?: LandingHooks;
  log: Logger;
  policy: PolicyLimits;
  guidance: Config["guidance"];
  journal: TaskJournal;
  commit: boolean;
  /** A line added to the commit's message (the daemon's task trailer, so a later start can find the commit). */
  commitTrailer?: string;
};

/** What one running task holds: its state is replaced by each fold, never edited in place. */
type Run = {
  task: PreparedTask;
  deps: OrchestratorDeps & { onCall: (call: CallRecord) => void; edits: Edits };
  advisorDeps: AdvisorDeps;
  log: Logger;
  edits: Edits;
  started: number;
  state: LoopState;
  /** The passing reply left the owned files as they were (patch.acceptUnchanged): nothing to commit. */
  unchanged?: true;
};
type LoopEnd =
  | { action: "complete" }
  | { action: "abort"; reason: string }
  | { action: "conflict"; files: string[]; diff: string };

export async function runTask(task: PreparedTask, deps: OrchestratorDeps): Promise<TaskOutcome> {
  const log = deps.log.child({ taskId: task.taskId });
  if (!deps.sandbox.enabled) {
    emit(
      log,
      "sandbox_disabled",
      { flag: "--unsafe-no-sandbox" },
      { message: "UNSAFE: this task's verification runs model-written code without a sandbox" },
    );
  }
  emit(log, "task_created", {
    kind: task.kind,
    key: task.key,
    tier: task.startTier,
    description: task.description,
    files: task.filesOwned,
    verify: checkLabels(task.check),
  });
  const edits = task.edits === "private" ? await privateEdits(task, deps.landing) : await inPlaceEdits(task);
  const run = { task, log, edits, started: performance.now(), state: initialState(task.startTier) } as Run;
  const onCall = (call: CallRecord) => {
    run.state = foldCall(run.state, call);
    deps.journal.modelCall(call);
  };
  run.deps = { ...deps, log, onCall, edits };
  run.advisorDeps = { ...deps, log, onCall, reuseSpec: deps.guidance.reuseSpec };
  let end: LoopEnd;
  try {
    end = await taskLoop(run);
  } catch (error) {
    return await endOnError(run, error);
  }
  // Outside the try: whatever happens while landing, a verified change is never restored away.
  if (end.action === "conflict") return conflict(run, end);
  return end.action === "complete" ? await land(run) : await abort(run, end.reason);
}

/** Attempts until the policy says complete or abort. */
async function taskLoop(run: Run): Promise<LoopEnd> {
  const { task, deps } = run;
  const limits = { ...deps.policy, maxAttempts: task.maxAttempts };
  const specAfter = deps.guidance.specWhen === "after-first-failure" ? 1 : 0;
  for (;;) {
    deps.signal?.throwIfAborted();
    const decision = decide(run.state.history, task.startTier, limits);
    if (decision.action === "complete" || decision.action === "abort") return decision;
    // Advice is asked for with the workspace at its original files, as every attempt sees them.
    await run.edits.reset();
    if (deps.guidance.spec && run.state.history.length === specAfter) {
      const spec = await unlessTooLong(run.log, "spec-writer", async () =>
        writeSpec({ description: task.description, files: await run.edits.read() }, run.advisorDeps),
      );
      run.state = foldSpec(run.state, spec);
    }
    if (decision.action === "escalate") {
      emit(run.log, "task_escalated", {
        fromTier: decision.fromTier,
        toTier: decision.toTier,
        reason: decision.reason,
      });
      if (deps.guidance.checkpoints) await advise(run, decision.fromTier, decision.toTier);
      run.state = foldEscalation(run.state, decision.toTier);
    } else if (deps.guidance.checkpoints && run.state.history.length > 0) {
      const failuresAtTier = run.state.history.filter((a) => a.tier === run.state.tier).length;
      if (checkpointDue({ escalating: false, failuresAtTier, interval: deps.guidance.checkpointInterval }))
        await advise(run, run.state.tier, run.state.tier);
    }
    const { state } = run;
    const record = await runAttempt(
      task,
      {
        n: state.history.length + 1,
        tier: state.tier,
        feedback: state.feedback,
        guidance: renderGuidance(state.guidance, deps.guidance.reviewsShown),
      },
      run.deps,
    );
    deps.journal.attempt(record);
    run.state = foldAttempt(run.state, record);
    if (record.unchanged) run.unchanged = true;
    if (record.conflict) return { action: "conflict", ...record.conflict };
    // A private edit that passed has landed in the workspace (an unchanged one had nothing to land): it ends
    // complete, even if an interrupt came meanwhile
    // (an interrupted status would have the task start again on a workspace that has its change).
    if (record.outcome === "passed" && run.edits.private) return { action: "complete" };
  }
}

async function advise(run: Run, fromTier: Tier, toTier: Tier): Promise<void> {
  const { task, state } = run;
  const files = await run.edits.read();
  const checkpoint = await unlessTooLong(run.log, "mentor", () =>
    writeCheckpoint(
      { description: task.description, files, guidance: state.guidance, feedback: state.feedback, fromTier, toTier },
      run.advisorDeps,
    ),
  );
  run.state = foldCheckpoint(run.state, checkpoint);
}

/** The verified change stays; with --commit it is committed (hooks off). A commit git refuses leaves it uncommitted. */
async function land(run: Run): Promise<TaskOutcome> {
  const { task, deps } = run;
  let commit: string | undefined;
  try {
    // Landings and commits on one workspace take turns (two commits at once would meet on git's index.lock).
    commit =
      deps.commit && !run.unchanged
        ? await run.edits.serialize(() =>
            commitOwned(
              task.root,
              task.filesOwned,
              deps.commitTrailer ? `${task.description}\n\n${deps.commitTrailer}` : task.description,
            ),
          )
        : undefined;
  } catch (error) {
    if (!(error instanceof CommitFailed)) throw error;
    return uncommitted(run, error);
  } finally {
    await run.edits.landed();
  }
  const done = outcome(run, "complete", {
    ...(commit ? { commit } : {}),
    ...(run.unchanged ? { unchanged: true } : {}),
  });
  emit(run.log, "task_completed", {
    totalAttempts: done.totalAttempts,
    finalTier: done.finalTier,
    passedFirstAttempt: done.passedFirstAttempt,
    commit,
    ...(run.unchanged ? { unchanged: true } : {}),
  });
  return done;
}

function uncommitted(run: Run, error: CommitFailed): TaskOutcome {
  const { reason, fix } = error;
  emit(
    run.log,
    "commit_failed",
    { reason, fix, files: run.task.filesOwned },
    { message: "git refused the commit; the verified change stays in the working tree" },
  );
  const kept = outcome(run, "uncommitted", { lastErrors: [error.message], commitRefused: { reason, fix } });
  emit(
    run.log,
    "task_uncommitted",
    {
      totalAttempts: kept.totalAttempts,
      finalTier: kept.finalTier,
      passedFirstAttempt: kept.passedFirstAttempt,
      reason,
      fix,
    },
    { message: "task verified, not committed" },
  );
  return kept;
}

async function abort(run: Run, reason: string): Promise<TaskOutcome> {
  await run.edits.reset();
  const aborted = outcome(run, "abort");
  emit(run.log, "task_aborted", {
    reason,
    totalAttempts: aborted.totalAttempts,
    finalTier: aborted.finalTier,
    lastErrors: aborted.lastErrors,
  });
  return aborted;
}

/** An endpoint that cannot be reached or refuses, or an interrupt, ends the task with its own status; anything else is thrown on. */
async function endOnError(run: Run, error: unknown): Promise<TaskOutcome> {
  await run.edits.reset();
  const status = endpointStatus(error);
  if (status === null) throw error;
  // An endpoint's refusal can quote the key it was sent.
  const reason = scrubSecrets(error instanceof Error ? error.message : String(error));
  if (status === "unreachable")
    emit(run.log, "endpoint_unreachable", { reason }, { message: "model endpoint unreachable" });
  if (status === "rejected")
    emit(run.log, "endpoint_rejected", { reason }, { message: "model endpoint refused the request" });
  const ended = outcome(run, status, { lastErrors: [reason] });
  emit(
    run.log,
    "task_aborted",
    { reason: status, totalAttempts: ended.totalAttempts, finalTier: ended.finalTier, lastErrors: ended.lastErrors },
    { level: "error" },
  );
  return ended;
}

/** Verified, not landed: the user changed an owned file meanwhile. Their edit stays; the verified diff is reported. */
function conflict(run: Run, { files, diff }: { files: string[]; diff: string }): TaskOutcome {
  const ended = outcome(run, "conflict", {
    lastErrors: [new LandingConflict(files, diff).message],
    conflict: { files, diff },
  });
  emit(
    run.log,
    "task_conflicted",
    { files, diff, totalAttempts: ended.totalAttempts, finalTier: ended.finalTier },
    { message: "verified change not landed: owned files changed meanwhile" },
  );
  return ended;
}

function outcome(run: Run, status: TaskStatus, extra: Partial<TaskOutcome> = {}): TaskOutcome {
  return taskOutcome(run.task.taskId, run.state, status, Math.round(performance.now() - run.started), extra);
}

/** An advisor whose prompt does not fit gives no advice; the task goes on without it. */
async function unlessTooLong<T>(log: Logger, role: Role, advise: () => Promise<T>): Promise<T | null> {
  try {
    return await advise();
  } catch (error) {
    if (!(error instanceof PromptTooLong)) throw error;
    logTooLong(log, role, error, null);
    return null;
  }
}

function endpointStatus(error: unknown): TaskStatus | null {
  if (error instanceof EndpointUnreachable) return "unreachable";
  if (error instanceof EndpointRejected) return "rejected";
  if (isAbort(error)) return "interrupted";
  return null;
}
