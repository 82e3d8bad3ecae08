// Pure parts of `smol-coder doctor`: what each probe's result means (status, detail, fix), the verdict and its
// exit code, the table and the JSON. doctorChecks.ts runs the probes and passes their results in as data.
import { formatTable } from "../store/analysis.ts";
import { ExitCode } from "../errors.ts";
import type { Probe } from "../models/probe.ts";

export type CheckStatus = "ok" | "warn" | "fail" | "skip";
export type CheckResult = {
  name: string;
  status: CheckStatus;
  detail: string;
  latencyMs?: number;
  /** What to do about a failure or warning: one line a user can act on. */
  fix?: string;
};

export const FIX_START_PROXY =
  "start the proxy: smol-coder stack up, or docker compose up -d (or set LITELLM_URL to where it listens)";
export const FIX_API_KEY = "set LITELLM_API_KEY to the proxy's master key";
export const FIX_ADD_ALIAS = "add the alias to litellm/config.yaml";
const FIX_PROXY_LOG = "see the proxy's log (docker compose logs litellm, or the terminal running litellm)";
const GIB = 1024 ** 3;
const MIB = 1024 ** 2;
export const DISK_WARN_BYTES = 2 * GIB;
export const DISK_FAIL_BYTES = 500 * MIB;

/** A 404 or 405 on a health route: the endpoint is a plain OpenAI-compatible server, not a LiteLLM proxy. */
const noSuchRoute = (status: number) => status === 404 || status === 405;

export function livelinessCheck(probe: Probe, root: string): CheckResult {
  const latencyMs = probe.ms;
  if (probe.state === "up") return { name: "proxy", status: "ok", detail: `${root} is alive`, latencyMs };
  if (probe.state === "unreachable")
    return {
      name: "proxy",
      status: "fail",
      detail: `nothing answers at ${root} (${probe.reason})`,
      latencyMs,
      fix: FIX_START_PROXY,
    };
  if (noSuchRoute(probe.status)) {
    const detail = `${root} answers, but has no /health/liveliness: not a LiteLLM proxy?`;
    return {
      name: "proxy",
      status: "warn",
      detail,
      latencyMs,
      fix: "point LITELLM_URL at the LiteLLM proxy (default http://localhost:4000/v1)",
    };
  }
  return {
    name: "proxy",
    status: "fail",
    detail: `/health/liveliness answered HTTP ${probe.status}`,
    latencyMs,
    fix: FIX_PROXY_LOG,
  };
}

export function readinessCheck(probe: Probe): CheckResult {
  const latencyMs = probe.ms;
  if (probe.state === "up") {
    const version = (probe.body as { litellm_version?: unknown } | null)?.litellm_version;
    return {
      name: "proxy ready",
      status: "ok",
      detail: typeof version === "string" ? `ready (LiteLLM ${version})` : "ready",
      latencyMs,
    };
  }
  if (probe.state === "unreachable")
    return {
      name: "proxy ready",
      status: "fail",
      detail: `/health/readiness did not answer (${probe.reason})`,
      latencyMs,
      fix: FIX_PROXY_LOG,
    };
  if (noSuchRoute(probe.status))
    return {
      name: "proxy ready",
      status: "skip",
      detail: "no /health/readiness route (not a LiteLLM proxy)",
      latencyMs,
    };
  return {
    name: "proxy ready",
    status: "fail",
    detail: `not ready: /health/readiness answered HTTP ${probe.status}`,
    latencyMs,
    fix: `wait until it has started, then ${FIX_PROXY_LOG}`,
  };
}

/** What a one-token chat completion through the proxy came to. */
export type AliasProbe =
  | { kind: "answered"; ms: number }
  | { kind: "refused"; status: number; message: string; ms: number }
  | { kind: "unreachable"; reason: string; ms: number }
  | { kind: "timeout"; ms: number };

// LiteLLM's words for an unknown alias ("Invalid model name passed in model=x. Call `/v1/models` to view
// available models for your key."), checked before the auth words because that message mentions a key.
const UNKNOWN_MODEL = /invalid model|model_not_found|does not exist|no deployments/i;
// Ollama's answer for a model it does not have, passed on by LiteLLM as a 404: "model "x" not found, try pulling it first".
const NOT_PULLED = /try pulling it|ollama pull/i;
// A key that is not the master key, on a proxy without a database, is looked up as a virtual key: "No connected db."
const AUTH = /authenticat|unauthori[sz]ed|api[ _-]?key|master[ _-]?key|virtual key|no connected db/i;

export function aliasCheck(
  alias: string,
  probe: AliasProbe,
  context: { upstream: string | null; keySent: boolean },
): CheckResult {
  const name = `alias ${alias}`;
  const latencyMs = probe.ms;
  const behind = context.upstream ? ` (${context.upstream})` : "";
  if (probe.kind === "answered") return { name, status: "ok", detail: `answered one token${behind}`, latencyMs };
  if (probe.kind === "unreachable")
    return { name, status: "fail", detail: `no connection (${probe.reason})`, latencyMs, fix: FIX_START_PROXY };
  if (probe.kind === "timeout") {
    const fix =
      "the model behind it may still be loading: run doctor again; if it stays slow, check its backend (the ollama rows)";
    return { name, status: "fail", detail: `no answer within ${probe.ms} ms${behind}`, latencyMs, fix };
  }
  const detail = `HTTP ${probe.status}: ${probe.message}`;
  const fail = (fix: string): CheckResult => ({ name, status: "fail", detail, latencyMs, fix });
  if (probe.status === 401 || probe.status === 403) return fail(FIX_API_KEY);
  if (NOT_PULLED.test(probe.message)) {
    const model = context.upstream ? ollamaModelName(context.upstream) : null;
    return fail(model ? `ollama pull ${model}` : "pull the model behind it in Ollama (see the ollama rows)");
  }
  if ((probe.status === 400 || probe.status === 404) && UNKNOWN_MODEL.test(probe.message)) return fail(FIX_ADD_ALIAS);
  if (probe.status === 400 && AUTH.test(probe.message)) return fail(FIX_API_KEY);
  if (probe.status === 429)
    return {
      name,
      status: "warn",
      detail: `rate limited${behind}: ${probe.message}`,
      latencyMs,
      fix: "wait, or raise the provider's limit",
    };
  // LiteLLM installed without its database client answers a request with no key at all with a bare HTTP 500.
  if (!context.keySent)
    return fail("LITELLM_API_KEY is not set: set it to the proxy's master key (if the proxy needs none, see its log)");
  return fail(
    probe.status >= 500 ? `the proxy could not use the model behind it${behind}: ${FIX_PROXY_LOG}` : FIX_PROXY_LOG,
  );
}

/** Pure, lenient: the message of an OpenAI-style error body ({error: {message}}), LiteLLM's {detail}, or the text. */
export function errorMessageFrom(text: string): string {
  let message: unknown = text;
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown } | string; detail?: unknown } | null;
    message = (typeof body?.error === "object" ? body.error?.message : body?.error) ?? body?.detail ?? text;
  } catch {
    // Not JSON: the text itself.
  }
  return (typeof message === "string" ? message : JSON.stringify(message)).replace(/\s+/g, " ").trim().slice(0, 200);
}

/** One deployment behind an alias, from the proxy's GET /model/info. */
export type Deployment = { alias: string; model: string; apiBase: string | null };

/** Pure, lenient: the deployments in a /model/info body ({data: [{model_name, litellm_params: {model, api_base}}]}). */
export function deploymentsFrom(body: unknown): Deployment[] {
  const data = (body as { data?: unknown } | null)?.data;
  if (!Array.isArray(data)) return [];
  return data.flatMap((entry): Deployment[] => {
    const alias = (entry as { model_name?: unknown } | null)?.model_name;
    const params = (entry as { litellm_params?: { model?: unknown; api_base?: unknown } } | null)?.litellm_params;
    if (typeof alias !== "string" || typeof params?.model !== "string") return [];
    return [
      {
        alias,
        model: params.model,
        apiBase: typeof params.api_base === "string" && params.api_base ? params.api_base : null,
      },
    ];
  });
}

/** "ollama_chat/qwen2.5-coder:7b" → "qwen2.5-coder:7b"; null for a model that is not served by Ollama. */
export function ollamaModelName(model: string): string | null {
  const match = /^ollama(?:_chat)?\/(.+)$/.exec(model);
  return match ? match[1]! : null;
}

/** Ollama names a model without a tag by its ":latest" tag. */
export function canonicalOllamaName(name: string): string {
  const base = name.slice(name.lastIndexOf("/") + 1);
  return base.includes(":") ? name : `${name}:latest`;
}

export type OllamaModel = { name: string; aliases: string[]; apiBase: string | null };

/** Pure: the Ollama models behind smol-coder's aliases, each once, with the aliases that use it. */
export function ollamaModels(aliases: readonly string[], deployments: readonly Deployment[]): OllamaModel[] {
  const byKey = new Map<string, OllamaModel>();
  for (const deployment of deployments) {
    const name = ollamaModelName(deployment.model);
    if (name === null || !aliases.includes(deployment.alias)) continue;
    const key = `${canonicalOllamaName(name)} ${deployment.apiBase ?? ""}`;
    const model = byKey.get(key) ?? { name, aliases: [], apiBase: deployment.apiBase };
    if (!model.aliases.includes(deployment.alias)) model.aliases.push(deployment.alias);
    byKey.set(key, model);
  }
  return [...byKey.values()];
}

/** Why there is nothing to ask Ollama about: the upstream of each alias. */
export function noOllamaDetail(aliases: readonly string[], deployments: readonly Deployment[]): string {
  const upstreams = aliases.map(
    (alias) => `${alias} → ${deployments.find((d) => d.alias === alias)?.model ?? "(not on the proxy)"}`,
  );
  return `no alias is an Ollama model (${upstreams.join(", ")})`;
}

/**
 * Where to ask Ollama: OLLAMA_API_BASE when set here, else the api_base the proxy reports when its host resolves
 * from here (a Docker-internal name such as host.docker.internal may not), else Ollama's default.
 */
export function ollamaBase(envBase: string | undefined, reported: string | null, reportedResolves: boolean): string {
  if (envBase) return envBase.replace(/\/+$/, "");
  if (reported && reportedResolves) return reported.replace(/\/+$/, "");
  return "http://localhost:11434";
}

/** Pure, lenient: the model names in Ollama's GET /api/tags body ({models: [{name, model}]}), canonical. */
export function pulledModels(body: unknown): Set<string> {
  const models = (body as { models?: unknown } | null)?.models;
  if (!Array.isArray(models)) return new Set();
  return new Set(
    models.flatMap((entry) =>
      [(entry as { name?: unknown }).name, (entry as { model?: unknown }).model]
        .filter((n): n is string => typeof n === "string")
        .map(canonicalOllamaName),
    ),
  );
}

/** One row per model when Ollama answered its GET /api/tags; one row for Ollama itself when it did not. */
export function ollamaChecks(
  base: string,
  models: readonly OllamaModel[],
  tags: Probe,
  aliasesAnswered: ReadonlySet<string>,
): CheckResult[] {
  if (tags.state === "up") {
    const pulled = pulledModels(tags.body);
    return models.map((model) =>
      pulled.has(canonicalOllamaName(model.name))
        ? {
            name: `ollama ${model.name}`,
            status: "ok",
            detail: `pulled (${model.aliases.join(", ")})`,
            latencyMs: tags.ms,
          }
        : {
            name: `ollama ${model.name}`,
            status: "fail",
            detail: `not pulled at ${base} (needed by ${model.aliases.join(", ")})`,
            latencyMs: tags.ms,
            fix: `ollama pull ${model.name}`,
          },
    );
  }
  const why = tags.state === "down" ? `/api/tags answered HTTP ${tags.status}` : tags.reason;
  const names = models.map((model) => model.name).join(", ");
  // The proxy may reach an Ollama this machine cannot (another container): then every alias behind it answered.
  const proxyReachesIt = models.every((model) => model.aliases.every((alias) => aliasesAnswered.has(alias)));
  return [
    {
      name: "ollama",
      status: proxyReachesIt ? "warn" : "fail",
      detail: `not reachable at ${base} (${why}); ${names} not checked`,
      latencyMs: tags.ms,
      fix: "start Ollama (ollama serve, or docker compose --profile ollama up -d), or set OLLAMA_API_BASE to where it listens",
    },
  ];
}

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

export type Verdict = { exitCode: number; counts: Record<CheckStatus, number> };

/** Exit 0 when nothing failed (warnings and skips allowed), 1 when any check failed. */
export function verdict(checks: readonly CheckResult[]): Verdict {
  const counts: Record<CheckStatus, number> = { ok: 0, warn: 0, fail: 0, skip: 0 };
  for (const check of checks) counts[check.status] += 1;
  return { exitCode: counts.fail > 0 ? ExitCode.abort : ExitCode.complete, counts };
}

const STATUS_LABEL: Record<CheckStatus, string> = { ok: "ok", warn: "warn", fail: "FAIL", skip: "skip" };

/** Aligned columns, one line per check; a failure's or warning's fix on the line below, under its detail. */
export function formatReport(checks: readonly CheckResult[]): string {
  const rows = checks.map((check) => [
    check.name,
    STATUS_LABEL[check.status],
    check.latencyMs === undefined ? "" : `${check.latencyMs} ms`,
    check.detail,
  ]);
  const [header = "", ...lines] = formatTable(["check", "status", "time", "detail"], rows, new Set([2])).split("\n");
  const indent = " ".repeat(header.indexOf("detail"));
  const body = lines.flatMap((line, index) => {
    const fix = checks[index]!.fix;
    return fix && checks[index]!.status !== "ok" ? [line, `${indent}fix: ${fix}`] : [line];
  });
  return [header, ...body, "", summaryLine(verdict(checks))].join("\n");
}

function summaryLine({ counts }: Verdict): string {
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  const parts = [`${counts.ok} ok`, plural(counts.warn, "warning"), `${counts.fail} failed`, `${counts.skip} skipped`];
  return counts.fail > 0
    ? `${parts.join(", ")}: fix the failures above, then run smol-coder doctor again.`
    : `${parts.join(", ")}: ready.`;
}

export type DoctorReport = {
  ok: boolean;
  exitCode: number;
  counts: Record<CheckStatus, number>;
  checks: CheckResult[];
};

/** The --json shape. */
export function doctorReport(checks: readonly CheckResult[]): DoctorReport {
  const { exitCode, counts } = verdict(checks);
  return { ok: exitCode === ExitCode.complete, exitCode, counts, checks: [...checks] };
}

/** Pure: a URL fit to print (user:password@ removed). */
export function displayUrl(url: string): string {
  return url.replace(/^(\w+:\/\/)[^@/]*@/, "$1");
}
