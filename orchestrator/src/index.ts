#!/usr/bin/env -S bun --no-env-file --config=/dev/null
// CLI entry: parse arguments, call one function per command, map errors to one line and an exit code.
import { CommanderError } from "commander";
import { relaunchWithoutCwdConfig } from "./cli/dotenvGuard.ts";
import { describeFailure, isInternal } from "./cli/failure.ts";
import { buildProgram } from "./cli/program.ts";
import { defaultLogDir } from "./config/paths.ts";
import { ExitCode, InternalError } from "./errors.ts";
import { saveInternalError } from "./log/log.ts";
import { scrubSecrets, secretValues } from "./log/secrets.ts";

/** Where a bug's stack trace is: the run's log file that recorded it, else a line this writes to the log directory. */
function stackFileFor(error: unknown, logDir: string): string | null {
  if (!isInternal(error)) return null;
  const secrets = { secrets: secretValues(process.env) };
  if (error instanceof InternalError) return error.logFile ?? saveInternalError(error.cause, logDir, secrets);
  return saveInternalError(error, logDir, secrets);
}

if (import.meta.main) {
  try {
    // Before any config is read: a .env or bunfig.toml in the current directory must not configure this run.
    const relaunched = await relaunchWithoutCwdConfig();
    if (relaunched === null) await buildProgram().parseAsync(process.argv);
    else process.exitCode = relaunched;
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode === 0 ? 0 : ExitCode.badInput;
    } else {
      // A bug's stack trace goes to the log file, never to stderr: the line names the file.
      const logDir = defaultLogDir(process.env);
      const failure = describeFailure(error, { stackFile: stackFileFor(error, logDir), logDir });
      process.stderr.write(scrubSecrets(`${failure.line}\n`));
      process.exitCode = failure.exitCode;
    }
  }
}
