// The stack's two servers as processes: started detached in their own process groups (they outlive the CLI),
// pid records with start times (so a reused pid is never signalled), readiness, stopping, status and memory.
import { spawn } from "node:child_process";
import { closeSync, openSync, readdirSync, readFileSync, writeSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import path from "node:path";
import { StackFailed } from "../errors.ts";
import { probeHealth, waitUntilReady } from "../models/health.ts";
import {
  PidRecord,
  SERVICES,
  type Backend,
  type ServiceName,
  type ServicePlan,
  type ServiceStatus,
  type StackPaths,
} from "./stack.ts";

/** Time since `since` (a performance.now()), as the stack reports it: "4.2 s". */
export const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(1)} s`;

/** Whether the stack's servers could bind the port on 127.0.0.1: a real bind, so any holder counts. */
export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen({ host: "127.0.0.1", port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

export async function ensurePortFree(port: number, flag: string): Promise<void> {
  if (!(await portFree(port))) {
    throw new StackFailed(
      "port",
      `port ${port} on 127.0.0.1 is already in use by another program`,
      `stop that program, or pass ${flag} with a free port`,
    );
  }
}

/** Starts every service detached, then waits until all answer; on any failure stops what it started. */
export async function startServices(
  services: ServicePlan[],
  backend: Backend,
  options: { say: (line: string) => void; signal?: AbortSignal; readyTimeoutMs: number },
): Promise<void> {
  const started = performance.now();
  const stops: Array<() => Promise<void>> = [];
  // One failure ends every wait, or the others would poll stopped servers until their timeout.
  const failed = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, failed.signal]) : failed.signal;
  try {
    const waits = [];
    for (const service of services) {
      const { pid, exited } = await startDetached(service, backend);
      options.say(`${service.name}: started (pid ${pid}, log ${service.logFile})`);
      stops.push(() => stopService(service.pidFile, () => undefined).then(() => undefined));
      const ready = waitForService(service, exited, { signal, readyTimeoutMs: options.readyTimeoutMs });
      waits.push(ready.then(() => options.say(`${service.name}: ready at ${service.url} after ${seconds(started)}`)));
    }
    await Promise.all(waits);
  } catch (error) {
    failed.abort();
    options.say(`${options.signal?.aborted ? "interrupted" : "start-up failed"}: stopping what had started`);
    for (const stop of stops) await stop();
    throw error;
  }
}

async function startDetached(
  service: ServicePlan,
  backend: Backend,
): Promise<{ pid: number; exited: Promise<string> }> {
  await mkdir(path.dirname(service.logFile), { recursive: true });
  const fd = openSync(service.logFile, "a");
  let child;
  try {
    writeSync(fd, `\n== ${new Date().toISOString()} smol-coder stack up: ${service.argv.join(" ")}\n`);
    // Own session and process group: Ctrl-C in the terminal does not reach it, and stop signals the whole group.
    child = spawn(service.argv[0]!, service.argv.slice(1), {
      detached: true,
      stdio: ["ignore", fd, fd],
      env: service.env,
    });
  } finally {
    closeSync(fd);
  }
  const exited = new Promise<string>((resolve) => {
    child.once("error", (error) => resolve(error.message));
    child.once("exit", (code, signal) => resolve(signal ? `killed by ${signal}` : `exit code ${code}`));
  });
  child.unref();
  if (child.pid === undefined)
    throw new StackFailed(
      "start",
      `${service.argv[0]} did not start: ${await exited}`,
      "run smol-coder stack up again to reinstall",
    );
  const record: PidRecord = {
    pid: child.pid,
    startTicks: processStartTicks(child.pid),
    port: service.port,
    backend,
    url: service.url,
  };
  await writeFile(service.pidFile, `${JSON.stringify(record)}\n`);
  return { pid: child.pid, exited };
}

async function waitForService(
  service: ServicePlan,
  exited: Promise<string>,
  options: { signal?: AbortSignal; readyTimeoutMs: number },
): Promise<void> {
  const died = new AbortController();
  void exited.then((how) => died.abort(how));
  const signal = options.signal ? AbortSignal.any([options.signal, died.signal]) : died.signal;
  try {
    await waitUntilReady(service.url, { timeoutMs: options.readyTimeoutMs, signal });
    if (service.name !== "proxy") await modelGenerates(service.url, signal, service.logFile);
  } catch (error) {
    // A server that dies drops its connections a moment before its exit is seen.
    await Promise.race([exited, Bun.sleep(1_000)]);
    if (!died.signal.aborted) throw error;
    const log = await readFile(service.logFile, "utf8").catch(() => "");
    const last = log.trim().split("\n").slice(-3).join(" | ").slice(0, 500);
    const how = String(died.signal.reason);
    const fix = how.includes("SIGILL")
      ? "this prebuilt llama.cpp uses instructions the CPU refuses (x86-64 with AVX2 needed); use Ollama instead (--backend ollama)"
      : `see ${service.logFile}`;
    throw new StackFailed("start", `${service.name} stopped before it was ready (${how}): ${last}`, fix);
  }
}

/** One token from the model: a llama.cpp build this CPU cannot run dies here (SIGILL), not at the first task. */
async function modelGenerates(url: string, signal: AbortSignal, logFile: string): Promise<void> {
  const body = { model: "local", messages: [{ role: "user", content: "Hi" }], max_tokens: 1 };
  const request = { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
  const response = await fetch(`${url}/chat/completions`, {
    ...request,
    signal: AbortSignal.any([signal, AbortSignal.timeout(60_000)]),
  });
  if (!response.ok)
    throw new StackFailed(
      "start",
      `the model server answered HTTP ${response.status} to a one-token request`,
      `see ${logFile}`,
    );
}

/** Stops every recorded service, proxy first; returns how many were running. */
export async function stopAll(paths: StackPaths, say: (line: string) => void): Promise<number> {
  let stopped = 0;
  for (const name of SERVICES)
    if (await stopService(paths.pidFiles[name], (line) => say(`${name}: ${line}`))) stopped += 1;
  return stopped;
}

/** SIGTERM to the service's process group, SIGKILL after 10 s; removes the pid file. True if it was running. */
async function stopService(pidFile: string, say: (line: string) => void): Promise<boolean> {
  const record = readPidRecord(pidFile);
  if (!record) return false;
  const running = isRunning(record);
  if (running) {
    const started = performance.now();
    signalGroup(record.pid, "SIGTERM");
    const deadline = performance.now() + 10_000;
    while (groupExists(record.pid) && performance.now() < deadline) await Bun.sleep(100);
    if (groupExists(record.pid)) {
      signalGroup(record.pid, "SIGKILL");
      while (groupExists(record.pid) && performance.now() < deadline + 2_000) await Bun.sleep(50);
    }
    say(`stopped (pid ${record.pid}) in ${seconds(started)}`);
  } else {
    say(`was not running (stale pid file for pid ${record.pid} removed)`);
  }
  await rm(pidFile, { force: true });
  return running;
}

/** Each recorded service: alive, answering, memory. */
export async function stackState(paths: StackPaths): Promise<ServiceStatus[]> {
  return Promise.all(
    SERVICES.map(async (name): Promise<ServiceStatus> => {
      const record = readPidRecord(paths.pidFiles[name]);
      if (!record) return { name, record: null, alive: false, ready: false, detail: "", rssMb: null };
      const alive = isRunning(record);
      const probe = alive ? await probeService(name, record.url) : { ready: false, detail: "" };
      return { name, record, alive, ...probe, rssMb: alive ? groupRssMb(record.pid) : null };
    }),
  );
}

async function probeService(name: ServiceName, url: string): Promise<{ ready: boolean; detail: string }> {
  if (name === "proxy") {
    const probe = await probeHealth(url, "readiness", { timeoutMs: 3_000 });
    const version =
      (probe.state === "up" ? (probe.body as { litellm_version?: unknown } | null)?.litellm_version : null) ?? null;
    return probe.state === "up"
      ? { ready: true, detail: `ready${version ? ` (litellm ${version})` : ""}` }
      : { ready: false, detail: probe.state === "down" ? `HTTP ${probe.status}` : probe.reason };
  }
  try {
    const response = await fetch(`${url}/models`, { signal: AbortSignal.timeout(3_000) });
    const body = (await response.json().catch(() => null)) as { data?: Array<{ id?: string }> } | null;
    return {
      ready: response.ok,
      detail: response.ok
        ? `serving ${body?.data?.map((model) => model.id).join(", ") ?? "?"}`
        : `HTTP ${response.status}`,
    };
  } catch (error) {
    return { ready: false, detail: (error as Error).message };
  }
}

export function readPidRecord(pidFile: string): PidRecord | null {
  try {
    const parsed = PidRecord.safeParse(JSON.parse(readFileSync(pidFile, "utf8")));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** /proc/<pid>/stat after the command name: state is field 3, process group 5, start time 22. */
function procStat(pid: number): string[] | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    return text.slice(text.lastIndexOf(")") + 2).split(" ");
  } catch {
    return null;
  }
}

function processStartTicks(pid: number): string | null {
  return procStat(pid)?.[19] ?? null;
}

/** Alive, not a zombie, and the same process that was recorded (not a later one that reuses the number). */
function isRunning(record: PidRecord): boolean {
  const stat = procStat(record.pid);
  if (!stat || stat[0] === "Z") return false;
  return record.startTicks === null || stat[19] === record.startTicks;
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // Already gone.
  }
}

function groupMembers(pgid: number): number[] {
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => {
      const stat = procStat(pid);
      return stat !== null && stat[0] !== "Z" && Number(stat[2]) === pgid;
    });
}

function groupExists(pgid: number): boolean {
  return groupMembers(pgid).length > 0;
}

/** Resident memory of every process in the group, in MB. */
function groupRssMb(pgid: number): number | null {
  let kb = 0;
  for (const pid of groupMembers(pgid)) {
    let status = "";
    try {
      status = readFileSync(`/proc/${pid}/status`, "utf8");
    } catch {
      continue; // exited while we looked
    }
    const match = /^VmRSS:\s+(\d+)/m.exec(status);
    if (match) kb += Number(match[1]);
  }
  return kb > 0 ? Math.round(kb / 1024) : null;
}
