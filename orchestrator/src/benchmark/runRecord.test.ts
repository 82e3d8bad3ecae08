import { describe, expect, test } from "bun:test";
import { runStatus, wasInterrupted } from "./runRecord.ts";

describe("how a benchmark run ended", () => {
  test("stopped by an unreachable endpoint wins over interrupted; otherwise interrupted or complete", () => {
    expect(runStatus({ interrupted: true, stoppedUnreachable: 3 })).toBe("unreachable");
    expect(runStatus({ interrupted: true })).toBe("interrupted");
    expect(runStatus({ interrupted: false })).toBe("complete");
  });

  test("interrupted by any arm, or by the signal unless the run stopped itself", () => {
    const aborted = AbortSignal.abort();
    expect(wasInterrupted([{ interrupted: false }, { interrupted: true }], {})).toBe(true);
    expect(wasInterrupted([{ interrupted: false }], {}, aborted)).toBe(true);
    expect(wasInterrupted([{ interrupted: false }], { stoppedUnreachable: 3 }, aborted)).toBe(false);
    expect(wasInterrupted([{ interrupted: false }], {}, new AbortController().signal)).toBe(false);
  });
});
