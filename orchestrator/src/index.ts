#!/usr/bin/env -S bun --no-env-file --config=/dev/null
// CLI entry: parse arguments, call one function per command, map errors to one line and an exit code.
import { CommanderError } from "commander";
import { relaunchWithoutCwdConfig } from "./cli/dotenvGuard.ts";
import { buildProgram } from "./cli/program.ts";
import { ExitCode, exitCodeFor } from "./errors.ts";
import { scrubSecrets } from "./log/secrets.ts";

function describeError(error: unknown): string {
  if (error instanceof Error && ["TaskInvalid", "ConfigInvalid"].includes(error.name)) return `invalid ${error.message}`;
  if (error instanceof Error && error.name !== "Error") return error.message;
  return `internal error: ${error instanceof Error ? error.message : String(error)}`;
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
      process.stderr.write(scrubSecrets(`smol-coder: ${describeError(error)}\n`));
      process.exitCode = exitCodeFor(error);
    }
  }
}
