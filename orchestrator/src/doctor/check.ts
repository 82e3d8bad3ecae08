// Pure: one doctor check's result, which every part of doctor speaks.
export type CheckStatus = "ok" | "warn" | "fail" | "skip";
export type CheckResult = {
  name: string;
  status: CheckStatus;
  detail: string;
  latencyMs?: number;
  /** What to do about a failure or warning: one line a user can act on. */
  fix?: string;
};
