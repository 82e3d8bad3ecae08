// Typed errors with stable names. Callers branch on `name` or fields, never on message text.
// The CLI maps each to one human line and an exit code (see exitCodeFor).

export const ExitCode = {
  complete: 0,
  abort: 1,
  badInput: 2,
  endpointUnreachable: 3,
  /** Something the machine lacks (python3, pytest): the fix is installing it, not changing the input. */
  environment: 4,
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
  ) {
    super(`model endpoint ${url} unusable after ${attempts} tries: ${reason}`);
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

export function exitCodeFor(error: unknown): number {
  if (error instanceof TaskInvalid || error instanceof ConfigInvalid || error instanceof DatasetInvalid) return ExitCode.badInput;
  // The run store is defined in store.ts (it owns its file); matched by its stable name.
  if (error instanceof Error && error.name === "StoreInvalid") return ExitCode.badInput;
  if (error instanceof GraderUnavailable || error instanceof SandboxUnavailable || error instanceof StackFailed) return ExitCode.environment;
  if (error instanceof EndpointRejected) {
    // Auth or alias problems are configuration the user must fix.
    return error.status === 401 || error.status === 403 || error.status === 404 || error.status === 400
      ? ExitCode.badInput
      : ExitCode.endpointUnreachable;
  }
  if (error instanceof EndpointUnreachable) return ExitCode.endpointUnreachable;
  return ExitCode.abort;
}
