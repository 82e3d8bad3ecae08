// Pure: the CLI's one error boundary in words. An error that reached index.ts becomes one line on stderr and an
// exit code; an internal error (a bug: none of the typed errors) names where its stack trace went, never prints it.
import { ExitCode, exitCodeFor, isAbort } from "../errors.ts";

export type Failure = { line: string; exitCode: number };

/** Whether the error is a bug rather than one of the failures smol-coder names (bad input, endpoint, machine...). */
export function isInternal(error: unknown): boolean {
  return exitCodeFor(error) === ExitCode.internal;
}

/**
 * `stackFile` is where an internal error's stack trace was written (null: it could not be); `logDir` is where it
 * would have gone.
 */
export function describeFailure(error: unknown, where: { stackFile: string | null; logDir: string }): Failure {
  const exitCode = exitCodeFor(error);
  const message = error instanceof Error ? error.message : String(error);
  if (exitCode === ExitCode.internal) {
    const firstLine =
      message
        .split("\n")
        .find((line) => line.trim() !== "")
        ?.trim() ?? (error instanceof Error ? error.name : "no message");
    const stack = where.stackFile
      ? `the stack trace is in ${where.stackFile}; please report it with that file`
      : `its stack trace could not be written to ${where.logDir}; please report it`;
    return { exitCode, line: `smol-coder: internal error (a bug in smol-coder): ${firstLine}; ${stack}` };
  }
  if (isAbort(error)) return { exitCode, line: "smol-coder: interrupted" };
  if (error instanceof Error && (error.name === "TaskInvalid" || error.name === "ConfigInvalid"))
    return { exitCode, line: `smol-coder: invalid ${message}` };
  return { exitCode, line: `smol-coder: ${message}` };
}
