// The grader's python process: starting grader.py, waiting for its ready line, reading its replies, and
// telling a missing python from a python without pytest. grader.ts decides what to send and when.
import type { Subprocess } from "bun";
import { GraderUnavailable } from "../errors.ts";
import { GraderReply } from "./grade.ts";
import type { Logger } from "../log/log.ts";
import { verificationEnv } from "./commands.ts";
import { emit } from "../log/events.ts";

const FIX = "install pytest: python3 -m pip install pytest, or set SMOL_CODER_PYTHON to a python that has it";
const STDERR_TAIL = 4_000;

export type Server = {
  child: Subprocess<"pipe", "pipe", "pipe">;
  pid: number;
  /** The server's interpreter and its prefixes, which the sandboxed candidate reuses. */
  python: { executable: string; prefixes: string[] };
  send(message: object): void;
  done: Promise<string>;
};

/** Starts grader.py and waits for its ready line. Replies after that go to onReply; `done` says how it ended. */
export async function spawnServer(
  python: string,
  graderScript: string,
  rootDir: string,
  startTimeoutMs: number,
  onReply: (reply: GraderReply) => void,
  log?: Logger,
): Promise<Server> {
  const started = performance.now();
  let child: Subprocess<"pipe", "pipe", "pipe">;
  try {
    // Candidate code runs in the server's children: no secrets in its environment.
    child = Bun.spawn([python, graderScript, rootDir], {
      cwd: rootDir,
      env: verificationEnv(process.env),
      stdin: "pipe",
      stdout: "pipe",
      stderr: "pipe",
    });
  } catch (error) {
    throw new GraderUnavailable(`cannot run ${python}: ${error instanceof Error ? error.message : String(error)}`, FIX);
  }
  let stderr = "";
  const stderrRead = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of child.stderr)
      stderr = (stderr + decoder.decode(chunk, { stream: true })).slice(-STDERR_TAIL);
  })();
  const ready = Promise.withResolvers<GraderReply>();
  let isReady = false;
  const stdoutRead = readLines(child.stdout, (line) => {
    const reply = parseReply(line);
    if (reply === null || (!isReady && reply.status !== "ready")) {
      emit(log, "grader_protocol_error", { line: line.slice(0, 500) });
      child.kill("SIGKILL"); // a server that talks nonsense cannot be trusted with grading
    } else if (!isReady) {
      isReady = true;
      ready.resolve(reply);
    } else {
      onReply(reply);
    }
  });
  const done = (async () => {
    await stdoutRead.catch(() => undefined);
    child.kill("SIGKILL"); // stdout closed: whatever is left is no longer a working server
    await child.exited;
    await Promise.race([stderrRead.catch(() => undefined), Bun.sleep(1_000)]);
    const how = child.signalCode ? `killed by ${child.signalCode}` : `exited with code ${child.exitCode}`;
    return stderr.trim() ? `${how}: ${stderr.trim().split("\n").slice(-3).join(" | ")}` : how;
  })();
  let info: GraderReply;
  const timer = setTimeout(
    () => ready.reject(new GraderUnavailable(`${python} did not start the grader within ${startTimeoutMs} ms`, FIX)),
    startTimeoutMs,
  );
  void done.then((reason) => ready.reject(startFailure(python, reason, stderr)));
  try {
    info = await ready.promise;
    emit(log, "grader_ready", { pid: info.pid, pytest: info.pytest, startMs: Math.round(performance.now() - started) });
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  } finally {
    clearTimeout(timer);
  }
  const send = (message: object) => {
    try {
      child.stdin.write(`${JSON.stringify(message)}\n`);
      child.stdin.flush();
    } catch {
      // The server is gone; `done` reports it and fails the request.
    }
  };
  const interpreter = { executable: info.executable ?? python, prefixes: info.prefixes ?? [] };
  return { child, pid: child.pid, python: interpreter, send, done };
}

function startFailure(python: string, reason: string, stderr: string): GraderUnavailable {
  if (/No module named '?(pytest|_pytest)/.test(stderr))
    return new GraderUnavailable(`pytest is not importable by ${python}`, FIX);
  return new GraderUnavailable(`the grader (${python} grader.py) stopped during start-up: ${reason}`, FIX);
}

function parseReply(line: string): GraderReply | null {
  try {
    const parsed = GraderReply.safeParse(JSON.parse(line));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

async function readLines(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void): Promise<void> {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of stream) {
    buffer += decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      if (line.trim()) onLine(line);
    }
  }
}
