// How a task's result is checked: the workspace's shell commands, or the pytest grader for HumanEval.
import type { Config } from "../config/config.ts";
import type { Grader } from "./grader.ts";
import { describeConfigWrites, gradingConfigWrites } from "./gradingConfig.ts";
import type { Sandbox } from "../sandbox/sandbox.ts";
import type { Candidate } from "../sandbox/view.ts";
import { verify } from "./commands.ts";

export type Check =
  | { kind: "commands"; commands: string[] }
  /** A test file outside the workspace, run by the warm pytest grader; exactly `expectedTests` must pass. */
  | { kind: "pytest"; testFile: string; expectedTests: number; label: string };

export type CheckResult = {
  passed: boolean;
  /** What failed, short enough for a prompt. Empty when passed. */
  errors: string[];
  /** Raw output for the run record and --debug. */
  output: string;
  durationMs: number;
  /** The command (or grader) that decided the result. */
  decidedBy: string;
};
export type CheckDeps = {
  verify: Config["verify"];
  humaneval: Config["humaneval"];
  grader?: Grader;
  sandbox: Sandbox;
  signal?: AbortSignal;
};

/** Pure: how the checks are named in a prompt and in events. */
export function checkLabels(check: Check): string[] {
  return check.kind === "commands" ? check.commands : [check.label];
}

/** `owned`: the task's files, which the model may edit (config files among them included). */
/** `candidate`: a private edit the commands see on top of the workspace (the daemon's tasks); absent: the workspace as it is. */
export async function runCheck(
  check: Check,
  root: string,
  deps: CheckDeps,
  owned: string[] = [],
  candidate?: Candidate,
): Promise<CheckResult> {
  if (check.kind === "pytest") {
    if (candidate) throw new Error("a pytest check grades the workspace itself: HumanEval tasks edit in place");
    if (!deps.grader) throw new Error("a pytest check needs a grader; start one with startGrader()");
    const grade = await deps.grader.grade({
      workspace: root,
      testFile: check.testFile,
      expectedTests: check.expectedTests,
      timeoutMs: deps.humaneval.timeoutMs,
      memoryMb: deps.humaneval.memoryMb,
      maxErrorChars: deps.verify.maxErrorChars,
      signal: deps.signal,
    });
    return {
      passed: grade.passed,
      errors: grade.passed ? [] : grade.failures.slice(0, deps.verify.maxErrors),
      output: grade.output,
      durationMs: grade.durationMs,
      decidedBy: check.label,
    };
  }
  // One view for the whole verification: its writes never reach the workspace, and are read here before they go.
  const view = await deps.sandbox.view(root, owned, candidate);
  try {
    const verification = await verify({
      cwd: root,
      commands: check.commands,
      sandbox: deps.sandbox,
      signal: deps.signal,
      owned,
      view,
      ...deps.verify,
    });
    const output = verification.results.map((r) => `$ ${r.command}\n${r.output}`).join("\n");
    const durationMs = verification.results.reduce((sum, r) => sum + r.durationMs, 0);
    // A pass means nothing if the code under test rewrote its own grading for a later command.
    const tampered = await gradingConfigWrites(view.dirs.upper, owned);
    if (tampered.length > 0)
      return {
        passed: false,
        errors: [describeConfigWrites(tampered)],
        output,
        durationMs,
        decidedBy: "grading-config check",
      };
    if (verification.passed)
      return { passed: true, errors: [], output, durationMs, decidedBy: check.commands.join(" && ") };
    return { passed: false, errors: verification.errors, output, durationMs, decidedBy: verification.failed.command };
  } finally {
    await view.dispose();
  }
}
