// Pure: what doctor's queue probe means. SQLite is this machine's run store; a Redis queue must answer, keep what it
// is given on disk, and have someone to run its tasks.
import type { CheckResult } from "./check.ts";

export type QueueProbe =
  | { kind: "sqlite"; file: string }
  | { kind: "unreachable"; reason: string }
  | { kind: "answered"; queued: number; running: number; workers: number | null; persistent: boolean | null };

export function queueCheck(probe: QueueProbe, shown: string, ms?: number): CheckResult {
  const name = "queue";
  if (probe.kind === "sqlite")
    return { name, status: "ok", detail: `sqlite, this machine's run store (${probe.file})` };
  const timing = ms === undefined ? {} : { latencyMs: ms };
  if (probe.kind === "unreachable")
    return {
      name,
      status: "fail",
      detail: `${shown} does not answer (${probe.reason})`,
      ...timing,
      fix: "start that Redis (docker compose --profile swarm up -d), check its password, or set daemon.queue to sqlite",
    };
  const workers =
    probe.workers === null ? "workers unknown (CLIENT LIST refused)" : `${probe.workers} worker(s) connected`;
  const detail = `${shown}: ${probe.queued} queued, ${probe.running} running, ${workers}`;
  if (probe.persistent === false)
    return {
      name,
      status: "warn",
      detail: `${detail}; nothing kept on disk`,
      ...timing,
      fix: "turn on its append-only file (redis-cli CONFIG SET appendonly yes, and in its config): a restart loses the queue",
    };
  if (probe.workers === 0 && probe.queued > 0)
    return {
      name,
      status: "warn",
      detail,
      ...timing,
      fix: "start a daemon or a worker on it: smol-coder serve --queue URL, or smol-coder worker --queue URL",
    };
  return { name, status: "ok", detail, ...timing };
}
