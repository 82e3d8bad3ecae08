#!/usr/bin/env bun
// CLI entry: parse arguments, call one function per command, map errors to one line and an exit code.
import { Command, CommanderError, InvalidArgumentError } from "commander";
import { buildConfig, configFromEnv, readConfigFile, type Config } from "./config.ts";
import { ConfigInvalid, EndpointRejected, EndpointUnreachable, ExitCode, PatchRejected, TaskInvalid, exitCodeFor } from "./errors.ts";
import { createLogger } from "./log.ts";
import { createModelClient } from "./model.ts";
import { runTask, type TaskStatus } from "./orchestrator.ts";
import { prepareTask } from "./prepare.ts";
import { createRouter } from "./router.ts";
import { parseTask, readTaskText } from "./task.ts";
import { secretValues } from "./secrets.ts";
import { resolveWorkspace } from "./workspace.ts";

const STATUS_EXIT: Record<TaskStatus, number> = {
  complete: ExitCode.complete,
  abort: ExitCode.abort,
  unreachable: ExitCode.endpointUnreachable,
  rejected: ExitCode.badInput,
  interrupted: ExitCode.interrupted,
};

type RunOptions = {
  file?: string;
  workspace: string;
  config?: string;
  commit?: boolean;
  pretty?: boolean;
  logFile: boolean;
  maxAttempts?: number;
  escalateAfter?: number;
  timeoutMs?: number;
  verifyTimeoutMs?: number;
  maxPatchLines?: number;
};

function positiveInt(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new InvalidArgumentError("expected a whole number of at least 1");
  return number;
}

/** Pure: the flags' part of the config. */
function configFromFlags(options: RunOptions): Record<string, unknown> {
  const layer: Record<string, Record<string, number>> = { policy: {}, endpoint: {}, verify: {}, patch: {} };
  if (options.maxAttempts) layer.policy!.maxAttempts = options.maxAttempts;
  if (options.escalateAfter) layer.policy!.failuresBeforeEscalation = options.escalateAfter;
  if (options.timeoutMs) layer.endpoint!.timeoutMs = options.timeoutMs;
  if (options.verifyTimeoutMs) layer.verify!.timeoutMs = options.verifyTimeoutMs;
  if (options.maxPatchLines) layer.patch!.maxChangedLines = options.maxPatchLines;
  return layer;
}

function loadConfig(options: RunOptions): Config {
  const file = options.config ?? process.env.SMOL_CODER_CONFIG;
  return buildConfig([file ? readConfigFile(file) : {}, configFromEnv(process.env), configFromFlags(options)]);
}

async function runCommand(options: RunOptions): Promise<number> {
  const config = loadConfig(options);
  const { text, source } = await readTaskText(options.file, { isTTY: process.stdin.isTTY, text: () => Bun.stdin.text() });
  const task = parseTask(text, source);
  const root = await resolveWorkspace(options.workspace);
  const prepared = await prepareTask(task, root, config, { commit: Boolean(options.commit) });

  const log = createLogger({
    level: process.env.LOG_LEVEL,
    pretty: options.pretty ?? process.stdout.isTTY === true,
    logDir: options.logFile ? config.logDir : null,
    secrets: secretValues(process.env),
  });
  log.info({ event: "orchestrator_startup", version: "0.1.0", endpoint: config.endpoint.url, workspace: root }, "orchestrator startup");
  const controller = new AbortController();
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => controller.abort());
  const outcome = await runTask(prepared, {
    router: createRouter(config.tiers),
    model: createModelClient({ ...config.endpoint, apiKey: process.env.LITELLM_API_KEY }),
    log,
    policy: config.policy,
    verify: config.verify,
    patch: config.patch,
    commit: Boolean(options.commit),
    signal: controller.signal,
  });
  process.stderr.write(`smol-coder: task ${outcome.taskId} ${outcome.status} after ${outcome.totalAttempts} attempt(s), final tier ${outcome.finalTier}\n`);
  return STATUS_EXIT[outcome.status];
}

function describeError(error: unknown): string {
  if (error instanceof TaskInvalid || error instanceof ConfigInvalid) return `invalid ${error.message}`;
  if (error instanceof EndpointUnreachable || error instanceof EndpointRejected || error instanceof PatchRejected) return error.message;
  return `internal error: ${error instanceof Error ? error.message : String(error)}`;
}

export function buildProgram(): Command {
  const program = new Command("smol-coder")
    .description("Coding tasks done by cheap local models, escalating to a frontier model only when they fail")
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(`smol-coder: ${text.replace(/^error: /, "invalid arguments: ")}`) });
  program
    .command("run", { isDefault: true })
    .description("Run one task (JSON on stdin or --file)")
    .option("--file <path>", "task JSON file (default: stdin)")
    .option("--workspace <dir>", "workspace directory", process.cwd())
    .option("--config <path>", "config JSON file (also SMOL_CODER_CONFIG)")
    .option("--commit", "commit the owned files on success (git workspaces)")
    .option("--pretty", "human-readable events")
    .option("--no-log-file", "do not write a copy of the events to the log directory")
    .option("--max-attempts <n>", "attempts per task, all tiers", positiveInt)
    .option("--escalate-after <n>", "failed attempts at a tier before escalating", positiveInt)
    .option("--timeout-ms <n>", "per model call", positiveInt)
    .option("--verify-timeout-ms <n>", "per verification command", positiveInt)
    .option("--max-patch-lines <n>", "largest patch accepted, in changed lines", positiveInt)
    .action(async (options: RunOptions) => {
      process.exitCode = await runCommand(options);
    });
  return program;
}

if (import.meta.main) {
  try {
    await buildProgram().parseAsync(process.argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode === 0 ? 0 : ExitCode.badInput;
    } else {
      process.stderr.write(`smol-coder: ${describeError(error)}\n`);
      process.exitCode = exitCodeFor(error);
    }
  }
}
