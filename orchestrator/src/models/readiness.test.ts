import { describe, expect, test } from "bun:test";
import { EndpointUnreachable } from "../errors.ts";
import { readinessGate } from "./readiness.ts";

/** A check that waits until the test settles it, counting how often it was started. */
function controlledCheck() {
  const runs: { resolve: () => void; reject: (error: unknown) => void; signal?: AbortSignal }[] = [];
  const check = (signal?: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      runs.push({ resolve, reject, signal });
      signal?.addEventListener("abort", () => reject(signal.reason), { once: true });
    });
  return { check, runs };
}

describe("readinessGate", () => {
  test("callers waiting at once share one check; once it passed, later calls do not check again", async () => {
    const { check, runs } = controlledCheck();
    const gate = readinessGate(check);
    const waits = [gate.wait(), gate.wait(), gate.wait()];
    expect(runs).toHaveLength(1);
    runs[0]!.resolve();
    await Promise.all(waits);
    await gate.wait();
    expect(runs).toHaveLength(1);
  });

  test("a failed check is not kept: every waiter gets the failure, the next call checks again", async () => {
    const { check, runs } = controlledCheck();
    const gate = readinessGate(check);
    const waits = [gate.wait(), gate.wait()].map((wait) => wait.catch((error: unknown) => error));
    const failure = new EndpointUnreachable("http://proxy/v1", "not ready within 10 ms", 1);
    runs[0]!.reject(failure);
    expect(await Promise.all(waits)).toEqual([failure, failure]);
    const again = gate.wait();
    expect(runs).toHaveLength(2);
    runs[1]!.resolve();
    await again;
  });

  test("forget: the next call checks again", async () => {
    const { check, runs } = controlledCheck();
    const gate = readinessGate(check);
    const first = gate.wait();
    runs[0]!.resolve();
    await first;
    gate.forget();
    const second = gate.wait();
    expect(runs).toHaveLength(2);
    runs[1]!.resolve();
    await second;
  });

  test("one caller's interrupt ends its own wait; a caller that was not interrupted checks again and gets its answer", async () => {
    const { check, runs } = controlledCheck();
    const gate = readinessGate(check);
    const controller = new AbortController();
    const interrupted = gate.wait(controller.signal).catch((error: unknown) => error);
    const other = gate.wait();
    const reason = new DOMException("interrupted", "AbortError");
    controller.abort(reason);
    expect(await interrupted).toBe(reason);
    // The shared check was the interrupted caller's, so it ended too; the other caller starts its own.
    while (runs.length < 2) await Bun.sleep(1);
    expect(runs[1]!.signal).toBeUndefined();
    runs[1]!.resolve();
    await other;
  });
});
