// Typed errors with stable names. Callers branch on `name` or fields, never on message text.
// The CLI maps each to one human line and an exit code (see exitCodeFor).

export const ExitCode = {
  complete: 0,
  abort: 1,
  badInput: 2,
  endpointUnreachable: 3,
  /** Something the machine lacks (python3, pytest): the fix is installing it, not changing the input. */
  environment: 4,
  /** Verification passed, but git refused the commit: the change stays in the working tree. */
  uncommitted: 5,
  /** A bug: an error none of the typed ones describes (sysexits' EX_SOFTWARE). */
  internal: 70,
  interrupted: 130,
} as const;

/** Bad task input: not JSON, schema violation, missing workspace, unsafe path, nothing to verify. */
export class TaskInvalid extends Error {
  override readonly name = "TaskInvalid";
  constructor(
    readonly field: string,
    readonly problem: string,
    readonly fix: string,
  ) {
    super(`${field}: ${problem}. Fix: ${fix}`);
  }
}

/** Bad configuration: config file, flags or environment. */
export class ConfigInvalid extends Error {
  override readonly name = "ConfigInvalid";
  constructor(
    readonly field: string,
    readonly problem: string,
    readonly fix: string,
  ) {
    super(`config ${field}: ${problem}. Fix: ${fix}`);
  }
}

/** The model endpoint could not be used after every retry (connection refused, timeouts, 5xx, 429). */
export class EndpointUnreachable extends Error {
  override readonly name = "EndpointUnreachable";
  constructor(
    readonly url: string,
    readonly reason: string,
    readonly attempts: number,
    /** What the URL is: the model endpoint, or the limits' Redis (limits.redis) every call takes a permit from. */
    readonly what = "model endpoint",
  ) {
    super(`${what} ${url} unusable after ${attempts} tries: ${reason}`);
  }
}

/** The endpoint answered, but refused the request in a way retries cannot fix (401, 403, 404, 400). */
export class EndpointRejected extends Error {
  override readonly name = "EndpointRejected";
  constructor(
    readonly url: string,
    readonly status: number,
    readonly reason: string,
  ) {
    super(`model endpoint ${url} refused the request (HTTP ${status}): ${reason}`);
  }
}

/** The queue has as many tasks waiting as it may hold: a refusal, never a wait. */
export class QueueFull extends Error {
  override readonly name = "QueueFull";
  constructor(readonly limit: number) {
    super(
      `the daemon's queue is full (${limit} tasks waiting). Fix: wait for some to finish, or raise daemon.maxQueued in the config`,
    );
  }
}

/** The store file cannot be used: not SQLite, another program's database, a newer schema, a malformed row. */
export class StoreInvalid extends Error {
  override readonly name = "StoreInvalid";
  constructor(
    readonly file: string,
    readonly problem: string,
    readonly fix = "pass --db with another path or delete the file",
  ) {
    super(`run store ${file}: ${problem}. Fix: ${fix}`);
  }
}

/**
 * The prompt did not fit the model's context: the backend refused it, or cut it silently (Ollama) and said so
 * only through its token counts. The reply cannot be trusted, and the same prompt at the same tier fails the same way.
 */
export class PromptTooLong extends Error {
  override readonly name = "PromptTooLong";
  constructor(
    readonly model: string,
    readonly reason: string,
    readonly tokensIn: number | null,
    readonly contextTokens: number | null,
  ) {
    super(`prompt too long for ${model}: ${reason}`);
  }
}

/** A model's patch was refused before or while applying it. Fed back to the model. */
export class PatchRejected extends Error {
  override readonly name = "PatchRejected";
  constructor(
    readonly reason: string,
    readonly path?: string,
    /**
     * "not_owned": the edit names a file inside the workspace that the task does not own (the patch may drop it).
     * "unchanged": the reply holds the owned files as they are (or changes only blank lines): it proposes no change.
     */
    readonly code?: "not_owned" | "unchanged",
    /** With "unchanged": files the reply also wrote that the task does not own (left out before it was found empty). */
    readonly ignored: readonly string[] = [],
  ) {
    super(path && !reason.includes(path) ? `${reason} (${path})` : reason);
  }
}

/** A HumanEval dataset file that is missing, unreadable, or not HumanEval-format JSONL. */
export class DatasetInvalid extends Error {
  override readonly name = "DatasetInvalid";
  constructor(
    readonly source: string,
    readonly problem: string,
    readonly fix: string,
  ) {
    super(`dataset ${source}: ${problem}. Fix: ${fix}`);
  }
}

/** The grader (python3 + pytest) cannot start or died: verification cannot run, so nothing is graded. */
export class GraderUnavailable extends Error {
  override readonly name = "GraderUnavailable";
  constructor(
    readonly reason: string,
    readonly fix: string,
  ) {
    super(`pytest grader unavailable: ${reason}. Fix: ${fix}`);
  }
}

/** Verification cannot be jailed (no bubblewrap, no user namespaces, no process limit): it refuses to run. */
export class SandboxUnavailable extends Error {
  override readonly name = "SandboxUnavailable";
  constructor(
    readonly reason: string,
    readonly fix: string,
  ) {
    super(`sandbox unavailable: ${reason}. Fix: ${fix}`);
  }
}

/** A tool a benchmark needs is missing or failed to install (npm for the TypeScript track's tools). */
export class ToolMissing extends Error {
  override readonly name = "ToolMissing";
  constructor(
    readonly tool: string,
    readonly reason: string,
    readonly fix: string,
  ) {
    super(`${tool}: ${reason}. Fix: ${fix}`);
  }
}

/** The stack cannot start or stop: a missing tool, a failed install, a taken port, a server that died. */
export class StackFailed extends Error {
  override readonly name = "StackFailed";
  constructor(
    readonly step: string,
    readonly reason: string,
    readonly fix: string,
  ) {
    super(`stack ${step}: ${reason}. Fix: ${fix}`);
  }
}

/** A git command failed; `stderr` is git's own account of why. */
export class GitFailed extends Error {
  override readonly name = "GitFailed";
  constructor(
    readonly args: string[],
    readonly cwd: string,
    readonly exitCode: number,
    readonly stderr: string,
  ) {
    super(`git ${args.join(" ")} failed in ${cwd} (exit ${exitCode}): ${stderr.trim()}`);
  }
}

/** Git refused to commit a verified change (no identity, a held index.lock...); the change stays in the working tree. */
export class CommitFailed extends Error {
  override readonly name = "CommitFailed";
  constructor(
    readonly reason: string,
    readonly fix: string,
  ) {
    super(`git refused the commit: ${reason}. Fix: ${fix}`);
  }
}

/** Another smol-coder run holds the workspace, and --no-wait said not to wait for it. */
export class WorkspaceLocked extends Error {
  override readonly name = "WorkspaceLocked";
  constructor(
    readonly workspace: string,
    readonly holderPid: number,
    readonly holderHost: string,
    readonly lockFile: string,
  ) {
    super(
      `workspace ${workspace} is in use by smol-coder run pid ${holderPid} on ${holderHost}. ` +
        `Fix: run again without --no-wait to wait for it; if pid ${holderPid} is no smol-coder run, delete ${lockFile}`,
    );
  }
}

/** A change verified in a task's private view cannot land: these owned files changed in the workspace meanwhile. */
export class LandingConflict extends Error {
  override readonly name = "LandingConflict";
  constructor(
    readonly files: string[],
    readonly diff: string,
  ) {
    super(
      `${files.join(", ")} changed in the workspace since the task started; the verified change was not landed over them`,
    );
  }
}

/** No smol-coder daemon answers on the socket (none started, or it died). */
export class DaemonUnreachable extends Error {
  override readonly name = "DaemonUnreachable";
  constructor(
    readonly socket: string,
    readonly reason: string,
  ) {
    super(
      `no smol-coder daemon answers on ${socket} (${reason}). Fix: start one with smol-coder serve, or pass --socket with its socket`,
    );
  }
}

/** The daemon refused a request: an unknown task id, a full queue, a task it cannot take. Carries the daemon's own words. */
export class DaemonRefused extends Error {
  override readonly name = "DaemonRefused";
  constructor(
    /** The daemon's error name: TaskNotFound, QueueFull, TaskInvalid, ... */
    readonly kind: string,
    readonly detail: string,
  ) {
    super(detail);
  }
}

/** A bug (an error none of the typed ones describes), already recorded with its stack trace in `logFile` when not null. */
export class InternalError extends Error {
  override readonly name = "InternalError";
  constructor(
    override readonly cause: unknown,
    readonly logFile: string | null,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

/** Ctrl-C or SIGTERM stopped the work (the AbortSignal's reason, or the SDK's abort). */
export function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === "AbortError" || error.constructor.name === "APIUserAbortError");
}

/** The exit code for an error that reached the CLI: a typed error's own, else internal (a bug). */
export function exitCodeFor(error: unknown): number {
  if (
    error instanceof TaskInvalid ||
    error instanceof ConfigInvalid ||
    error instanceof DatasetInvalid ||
    error instanceof WorkspaceLocked
  )
    return ExitCode.badInput;
  // The run store is defined in store.ts (it owns its file); matched by its stable name.
  if (error instanceof StoreInvalid) return ExitCode.badInput;
  if (
    error instanceof GraderUnavailable ||
    error instanceof SandboxUnavailable ||
    error instanceof StackFailed ||
    error instanceof ToolMissing
  )
    return ExitCode.environment;
  if (error instanceof EndpointRejected) {
    // Auth or alias problems are configuration the user must fix.
    return error.status === 401 || error.status === 403 || error.status === 404 || error.status === 400
      ? ExitCode.badInput
      : ExitCode.endpointUnreachable;
  }
  if (error instanceof EndpointUnreachable || error instanceof DaemonUnreachable) return ExitCode.endpointUnreachable;
  if (error instanceof DaemonRefused) return ExitCode.badInput;
  if (error instanceof CommitFailed) return ExitCode.uncommitted;
  if (isAbort(error)) return ExitCode.interrupted;
  return ExitCode.internal;
}
