// Pure: what doctor's daemon probe means. The daemon is optional, so none running is a skip.
import type { CheckResult } from "./doctor.ts";

export type DaemonProbe =
  | { kind: "none" }
  | { kind: "silent"; reason: string }
  | { kind: "answered"; version: string; pid: number; queued: number; running: number };

/** The daemon is optional: none running is a skip; a socket nobody answers on, or another version, a warning. */
export function daemonCheck(probe: DaemonProbe, socket: string, version: string, ms: number): CheckResult {
  const name = "daemon";
  if (probe.kind === "none") return { name, status: "skip", detail: `none on ${socket} (optional: smol-coder serve)` };
  if (probe.kind === "silent") {
    return {
      name,
      status: "warn",
      detail: `a socket at ${socket}, but no daemon answers (${probe.reason})`,
      latencyMs: ms,
      fix: "start one with smol-coder serve (it replaces the dead socket), or delete the socket",
    };
  }
  const detail = `pid ${probe.pid}, version ${probe.version}, ${probe.queued} queued, ${probe.running} running, on ${socket}`;
  if (probe.version !== version)
    return {
      name,
      status: "warn",
      detail,
      latencyMs: ms,
      fix: `it is not this smol-coder (${version}): restart it (kill -TERM ${probe.pid}; smol-coder serve)`,
    };
  return { name, status: "ok", detail, latencyMs: ms };
}
