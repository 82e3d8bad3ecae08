// `serve --detach`: the same command started again in the background, its output in a log file, its pid in a
// pid file; the foreground process waits until the daemon answers on its socket, says where it is, and exits.
import { closeSync, openSync, readFileSync } from "node:fs";
import path from "node:path";
import { DaemonUnreachable } from "../errors.ts";
import { daemonClient } from "./client.ts";

/** Pure: the command line that runs this process again without --detach (a compiled binary has no script path). */
export function relaunchCommand(execPath: string, argv: string[]): string[] {
  const script = argv[1];
  const args = argv.slice(2).filter((arg) => arg !== "--detach");
  return script === undefined || script.startsWith("/$bunfs/") ? [execPath, ...args] : [execPath, script, ...args];
}

export const pidFileFor = (socket: string) => path.join(path.dirname(socket), "daemon.pid");

export async function detach(options: {
  socket: string;
  logFile: string;
  readyTimeoutMs?: number;
}): Promise<{ pid: number }> {
  const out = openSync(options.logFile, "a", 0o600);
  const child = Bun.spawn(relaunchCommand(process.execPath, process.argv), {
    stdin: "ignore",
    stdout: out,
    stderr: out,
    detached: true,
  } as Parameters<typeof Bun.spawn>[1]);
  closeSync(out);
  child.unref();
  const deadline = performance.now() + (options.readyTimeoutMs ?? 60_000);
  let exited: number | null = null;
  void child.exited.then((code) => (exited = code));
  for (;;) {
    if (exited !== null) {
      const tail = readFileSync(options.logFile, "utf8").trim().split("\n").slice(-3).join(" | ");
      throw new DaemonUnreachable(
        options.socket,
        `the detached daemon exited ${exited} before it answered; ${options.logFile} ends: ${tail}`,
      );
    }
    const health = await daemonClient(options.socket)
      .health()
      .catch(() => null);
    if (health?.pid === child.pid) return { pid: child.pid };
    if (performance.now() > deadline)
      throw new DaemonUnreachable(
        options.socket,
        `the detached daemon (pid ${child.pid}) did not answer in time; see ${options.logFile}`,
      );
    await Bun.sleep(100);
  }
}
