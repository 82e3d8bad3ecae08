// One pino logger: JSON lines on stdout (pretty on a terminal or with --pretty) plus a copy in the log dir.
// Secrets are redacted by key and scrubbed by value from every line.
import { appendFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import pino, { type Logger } from "pino";
import pretty from "pino-pretty";
import type { EventName } from "./events.ts";
import { scrub } from "./secrets.ts";

export type { Logger };
export type LogOptions = {
  level?: string;
  pretty: boolean;
  /** Directory for the copy of every event; null to skip it. */
  logDir: string | null;
  /** Values that must never appear in a log line (API keys). */
  secrets: string[];
  /** Where the stdout stream goes; tests pass their own. */
  destination?: pino.DestinationStream;
};

export const REDACT_PATHS = ["apiKey", "*.apiKey", "headers.authorization", "*.headers.authorization", "authorization"];

export function logFilePath(logDir: string, now = new Date()): string {
  return path.join(logDir, `smol-coder-${now.toISOString().slice(0, 10)}.jsonl`);
}

/**
 * Appends an internal error (a bug) with its stack trace, as one `internal_error` line, to the log directory's file:
 * where the CLI's error boundary puts a crash no logger recorded. Returns the file, or null when it cannot be
 * written. Secrets are scrubbed.
 */
export function saveInternalError(
  error: unknown,
  logDir: string,
  options: { secrets: string[]; now?: Date },
): string | null {
  const now = options.now ?? new Date();
  const err = error instanceof Error ? error : new Error(String(error));
  const file = logFilePath(logDir, now);
  const line = {
    level: 60,
    time: now.getTime(),
    pid: process.pid,
    event: "internal_error" satisfies EventName,
    err: { type: err.name, message: err.message, stack: err.stack },
    msg: "internal error",
  };
  try {
    mkdirSync(logDir, { recursive: true });
    appendFileSync(file, `${scrub(JSON.stringify(line), options.secrets.filter(Boolean))}\n`);
    return file;
  } catch {
    return null;
  }
}

export function createLogger(options: LogOptions): Logger {
  const level = (options.level ?? "info") as pino.Level;
  const streams: pino.StreamEntry[] = [];
  const stdout = options.destination ?? pino.destination({ dest: 1, sync: true });
  // pino-pretty as a stream in this process: worker transports break under Bun.
  streams.push({
    level,
    stream: options.pretty ? pretty({ destination: stdout, sync: true, colorize: process.stdout.isTTY }) : stdout,
  });
  if (options.logDir) {
    mkdirSync(options.logDir, { recursive: true });
    streams.push({ level, stream: pino.destination({ dest: logFilePath(options.logDir), sync: true, append: true }) });
  }
  const secrets = options.secrets.filter(Boolean);
  return pino(
    {
      level,
      base: { pid: process.pid },
      redact: { paths: REDACT_PATHS, censor: "[REDACTED]" },
      hooks: { streamWrite: (line) => scrub(line, secrets) },
    },
    pino.multistream(streams),
  );
}
