// Pure: how a finished task is told: its exit code and the lines `run` prints on stderr. The daemon's clients
// (`submit --wait`, `wait`) print the same lines and exit with the same code.
import { ExitCode } from "../errors.ts";
import type { TaskOutcome } from "./state.ts";
import type { TaskStatus } from "../types.ts";

export const STATUS_EXIT: Record<TaskStatus, number> = {
  complete: ExitCode.complete,
  uncommitted: ExitCode.uncommitted,
  conflict: ExitCode.uncommitted,
  abort: ExitCode.abort,
  unreachable: ExitCode.endpointUnreachable,
  rejected: ExitCode.badInput,
  interrupted: ExitCode.interrupted,
  crashed: ExitCode.internal,
};

/** The stderr lines of a finished task (without secrets scrubbed: the caller scrubs). */
export function outcomeLines(
  outcome: Pick<
    TaskOutcome,
    "taskId" | "status" | "totalAttempts" | "finalTier" | "commitRefused" | "conflict" | "unchanged"
  > & { lastErrors?: string[] },
  runId: string,
  workspace?: string,
): string[] {
  const lines = [
    `smol-coder: task ${outcome.taskId} ${outcome.status} after ${outcome.totalAttempts} attempt(s), final tier ${outcome.finalTier}; run ${runId}` +
      (workspace ? `; workspace ${workspace}` : ""),
  ];
  // What could not be reached (the model endpoint, the limits' Redis) or refused the task: said, not only logged.
  if ((outcome.status === "unreachable" || outcome.status === "rejected") && outcome.lastErrors?.[0])
    lines.push(`smol-coder: ${outcome.lastErrors[0]}`);
  if (outcome.unchanged)
    lines.push(
      "smol-coder: nothing changed: the model wrote the owned files back as they were and the checks pass on them (patch.acceptUnchanged)",
    );
  if (outcome.commitRefused) {
    const { reason, fix } = outcome.commitRefused;
    lines.push(
      `smol-coder: the verified change is in the working tree, not committed: git refused the commit: ${reason}. Fix: ${fix}`,
    );
  }
  if (outcome.conflict) {
    const { files, diff } = outcome.conflict;
    lines.push(
      `smol-coder: the verified change was not landed: ${files.join(", ")} changed in the workspace since the task started. The verified diff (apply it by hand if it still fits):`,
      diff.trimEnd(),
    );
  }
  return lines;
}
