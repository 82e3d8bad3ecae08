// One pino logger: JSON lines on stdout (pretty on a terminal or with --pretty) plus a copy in the log dir.
// Secrets are redacted by key and scrubbed by value from every line.
import { mkdirSync } from "node:fs";
import path from "node:path";
import pino, { type Logger } from "pino";
import pretty from "pino-pretty";
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

export function createLogger(options: LogOptions): Logger {
  const level = (options.level ?? "info") as pino.Level;
  const streams: pino.StreamEntry[] = [];
  const stdout = options.destination ?? pino.destination({ dest: 1, sync: true });
  // pino-pretty as a stream in this process: worker transports break under Bun.
  streams.push({ level, stream: options.pretty ? pretty({ destination: stdout, sync: true, colorize: process.stdout.isTTY }) : stdout });
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
