import { describe, expect, test } from "bun:test";
import {
  CommitFailed,
  ConfigInvalid,
  EndpointRejected,
  EndpointUnreachable,
  ExitCode,
  GitFailed,
  InternalError,
  SandboxUnavailable,
  TaskInvalid,
  WorkspaceLocked,
} from "../errors.ts";
import { StoreInvalid } from "../errors.ts";
import { describeFailure, isInternal } from "./failure.ts";

const where = { stackFile: "/data/logs/smol-coder-2026-01-01.jsonl", logDir: "/data/logs" };
const abort = () => {
  const controller = new AbortController();
  controller.abort();
  return controller.signal.reason as unknown;
};

describe("describeFailure", () => {
  test.each([
    [
      "bad task input",
      new TaskInvalid("filesOwned.0", '"../x" leaves the workspace', "list files inside the workspace"),
      ExitCode.badInput,
      /^smol-coder: invalid filesOwned\.0: "\.\.\/x" leaves the workspace\. Fix: /,
    ],
    [
      "bad config",
      new ConfigInvalid("tiers.fast", "missing", "add it"),
      ExitCode.badInput,
      /^smol-coder: invalid config tiers\.fast/,
    ],
    [
      "an unusable run store",
      new StoreInvalid("/x.db", "is not SQLite"),
      ExitCode.badInput,
      /^smol-coder: run store \/x\.db/,
    ],
    [
      "a workspace another run holds",
      new WorkspaceLocked("/w", 4242, "vm", "/data/locks/ab.lock"),
      ExitCode.badInput,
      /pid 4242 .*delete \/data\/locks\/ab\.lock/,
    ],
    ["a refused key", new EndpointRejected("http://p/v1", 401, "bad key"), ExitCode.badInput, /HTTP 401/],
    [
      "a server error that outlasted the retries",
      new EndpointRejected("http://p/v1", 500, "boom"),
      ExitCode.endpointUnreachable,
      /HTTP 500/,
    ],
    [
      "an unreachable endpoint",
      new EndpointUnreachable("http://p/v1", "connection refused", 3),
      ExitCode.endpointUnreachable,
      /after 3 tries/,
    ],
    [
      "no sandbox",
      new SandboxUnavailable("no bwrap", "install bubblewrap"),
      ExitCode.environment,
      /^smol-coder: sandbox unavailable/,
    ],
    [
      "a commit git refused",
      new CommitFailed("Author identity unknown", "tell git who commits"),
      ExitCode.uncommitted,
      /git refused the commit: Author identity unknown/,
    ],
    ["an interrupt", abort(), ExitCode.interrupted, /^smol-coder: interrupted$/],
  ])("%s: its own message and exit code", (_, error, exitCode, line) => {
    const failure = describeFailure(error, where);
    expect(failure.exitCode).toBe(exitCode);
    expect(failure.line).toMatch(line);
    expect(isInternal(error)).toBe(false);
  });

  test.each([
    [
      "a TypeError",
      new TypeError("undefined is not an object (evaluating 'a.b')"),
      "undefined is not an object (evaluating 'a.b')",
    ],
    [
      "an error no typed class describes",
      new Error("ENOSPC: no space left on device"),
      "ENOSPC: no space left on device",
    ],
    [
      "a git failure nothing expected",
      new GitFailed(["init"], "/w", 128, "fatal: odd\n"),
      "git init failed in /w (exit 128): fatal: odd",
    ],
    ["a thrown string", "boom", "boom"],
    [
      "a bug a session already recorded",
      new InternalError(new RangeError("Invalid array length"), where.stackFile),
      "Invalid array length",
    ],
  ])("%s is an internal error: exit 70, one line naming the log file, no stack trace", (_, error, message) => {
    const failure = describeFailure(error, where);
    expect(isInternal(error)).toBe(true);
    expect(failure.exitCode).toBe(70);
    expect(failure.line).toBe(
      `smol-coder: internal error (a bug in smol-coder): ${message}; the stack trace is in ${where.stackFile}; please report it with that file`,
    );
  });

  test("a message of many lines gives its first; a stack trace that could not be saved names the log directory", () => {
    const error = new Error("\nfirst line\n    at somewhere (file.ts:1:1)\n");
    const failure = describeFailure(error, { stackFile: null, logDir: "/data/logs" });
    expect(failure.line).toBe(
      "smol-coder: internal error (a bug in smol-coder): first line; its stack trace could not be written to /data/logs; please report it",
    );
    expect(failure.line).not.toContain("\n");
  });
});
