// The endpoint's readiness as the model client sees it: checked before the first call, shared by every call
// waiting at the same time, kept once it passed, and forgotten after a call found the endpoint unreachable, so
// the next call checks again instead of trusting an answer from before the endpoint went away.
import { abortable } from "./abortable.ts";
import { isAbort } from "../errors.ts";

export type ReadinessGate = {
  /** Resolves once the endpoint was found ready; throws what the check threw (a failure is never kept). */
  wait(signal?: AbortSignal): Promise<void>;
  /** The next wait checks again. */
  forget(): void;
};

export function readinessGate(check: (signal?: AbortSignal) => Promise<void>): ReadinessGate {
  let ready = false;
  let pending: Promise<void> | null = null;
  return {
    async wait(signal) {
      for (;;) {
        if (ready) return;
        signal?.throwIfAborted();
        pending ??= check(signal)
          .then(() => {
            ready = true;
          })
          .finally(() => {
            pending = null;
          });
        try {
          return await abortable(pending, signal);
        } catch (error) {
          // Another caller's interrupt ended the shared check: this caller was not interrupted, so it checks anew.
          if (signal?.aborted || !isAbort(error)) throw error;
        }
      }
    },
    forget() {
      ready = false;
    },
  };
}
