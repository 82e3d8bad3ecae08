// A benchmark's run record: opened before the first problem, closed whatever happens, with how the run ended.
import type { Session } from "../run/session.ts";

/** How a run ended, as every benchmark reports it. */
export type RunEnd = { interrupted: boolean; stoppedUnreachable?: number };

/** Pure: the run record's status from how it ended. */
export function runStatus(end: RunEnd): "complete" | "interrupted" | "unreachable" {
  return end.stoppedUnreachable !== undefined ? "unreachable" : end.interrupted ? "interrupted" : "complete";
}

/** Pure: interrupted by one of its arms, or by the signal, unless the run stopped itself (the endpoint looked down). */
export function wasInterrupted(
  arms: readonly { interrupted: boolean }[],
  end: Omit<RunEnd, "interrupted">,
  signal?: AbortSignal,
): boolean {
  return arms.some((arm) => arm.interrupted) || (Boolean(signal?.aborted) && end.stoppedUnreachable === undefined);
}

/**
 * Runs `body` inside a run record of kind bench: a record never stays 'running', and a throw closes it as
 * crashed (interrupted when the signal was aborted).
 */
export async function inRunRecord<T extends RunEnd>(
  session: Session,
  args: Record<string, unknown>,
  signal: AbortSignal | undefined,
  body: (runId: string) => Promise<T>,
): Promise<T> {
  const runId = session.store.startRun({ kind: "bench", args });
  let status: "complete" | "interrupted" | "unreachable" | "crashed" = "crashed";
  try {
    const end = await body(runId);
    status = runStatus(end);
    return end;
  } catch (error) {
    if (signal?.aborted) status = "interrupted";
    throw error;
  } finally {
    session.store.finishRun(runId, status);
  }
}
