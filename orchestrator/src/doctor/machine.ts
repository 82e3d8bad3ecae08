// Pure: what doctor says about this machine: python3 with pytest, git, the sandbox, disk space.
import type { CheckResult } from "./check.ts";

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;
export const DISK_WARN_BYTES = 2 * GIB;
export const DISK_FAIL_BYTES = 500 * MIB;

/** A short command's outcome: it could not start, or it exited (killed at its time limit when timedOut). */
export type CommandProbe =
  | { kind: "missing"; reason: string }
  | { kind: "exited"; code: number | null; output: string; timedOut: boolean };

export function pythonCheck(python: string, probe: CommandProbe, ms: number): CheckResult {
  const name = "python + pytest";
  const fixPython =
    "install python3, or set SMOL_CODER_PYTHON (or humaneval.python in the config) to a python with pytest";
  if (probe.kind === "missing")
    return { name, status: "fail", detail: `cannot run ${python} (${probe.reason})`, latencyMs: ms, fix: fixPython };
  const version = /pytest \S+/.exec(probe.output)?.[0];
  if (probe.code === 0 && version) return { name, status: "ok", detail: `${version} (${python})`, latencyMs: ms };
  if (probe.timedOut)
    return {
      name,
      status: "fail",
      detail: `${python} -m pytest --version did not finish within ${ms} ms`,
      latencyMs: ms,
      fix: fixPython,
    };
  if (/No module named '?pytest/.test(probe.output)) {
    return {
      name,
      status: "fail",
      detail: `pytest is not importable by ${python}`,
      latencyMs: ms,
      fix: `install pytest: ${python} -m pip install pytest, or set SMOL_CODER_PYTHON to a python that has it`,
    };
  }
  return {
    name,
    status: "fail",
    detail: `${python} -m pytest --version exited ${probe.code}: ${lastLine(probe.output)}`,
    latencyMs: ms,
    fix: fixPython,
  };
}

export function gitCheck(probe: CommandProbe, ms: number): CheckResult {
  const fix = "install git (Debian/Ubuntu: apt-get install git)";
  if (probe.kind === "missing")
    return { name: "git", status: "fail", detail: `cannot run git (${probe.reason})`, latencyMs: ms, fix };
  if (probe.code === 0) return { name: "git", status: "ok", detail: lastLine(probe.output), latencyMs: ms };
  return {
    name: "git",
    status: "fail",
    detail: `git --version exited ${probe.code}: ${lastLine(probe.output)}`,
    latencyMs: ms,
    fix,
  };
}

export type SandboxProbe =
  | { kind: "ready"; description: string }
  | { kind: "unavailable"; reason: string; fix: string }
  | { kind: "timeout" };

/** With the sandbox turned off in the config a broken one is only a warning: verification runs unjailed anyway. */
export function sandboxCheck(probe: SandboxProbe, enabled: boolean, ms: number): CheckResult {
  if (probe.kind === "ready") return { name: "sandbox", status: "ok", detail: probe.description, latencyMs: ms };
  const status = enabled ? "fail" : "warn";
  if (probe.kind === "timeout")
    return {
      name: "sandbox",
      status,
      detail: `the self-test did not finish within ${ms} ms`,
      latencyMs: ms,
      fix: "check that bwrap runs: bwrap --ro-bind / / true",
    };
  return { name: "sandbox", status, detail: probe.reason, latencyMs: ms, fix: probe.fix };
}

/** Free space where smol-coder writes: its logs (run records, bench results) and temp workspaces. */
export function diskCheck(place: string, dir: string, freeBytes: number | null, reason?: string): CheckResult {
  const name = `disk ${place}`;
  if (freeBytes === null)
    return { name, status: "warn", detail: `cannot read free space at ${dir} (${reason ?? "unknown"})` };
  const detail = `${formatBytes(freeBytes)} free at ${dir}`;
  const fix = `free space on the filesystem holding ${dir}${place === "logs" ? " (old bench-* directories can go)" : ""}`;
  if (freeBytes < DISK_FAIL_BYTES)
    return { name, status: "fail", detail: `${detail} (under ${formatBytes(DISK_FAIL_BYTES)})`, fix };
  if (freeBytes < DISK_WARN_BYTES)
    return { name, status: "warn", detail: `${detail} (under ${formatBytes(DISK_WARN_BYTES)})`, fix };
  return { name, status: "ok", detail };
}

export function formatBytes(bytes: number): string {
  return bytes >= GIB ? `${(bytes / GIB).toFixed(1)} GiB` : `${Math.round(bytes / MIB)} MiB`;
}

function lastLine(text: string): string {
  return text.trim().split("\n").at(-1)?.trim().slice(0, 200) ?? "";
}
