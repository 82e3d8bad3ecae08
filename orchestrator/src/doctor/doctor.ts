// Pure parts of `smol-coder doctor`: what each probe's result means (status, detail, fix), the verdict and its
// exit code, the table and the JSON. doctorChecks.ts runs the probes and passes their results in as data.
import { formatTable } from "../store/analysis.ts";
import { ExitCode } from "../errors.ts";
import type { Probe } from "../models/probe.ts";
import type { CheckResult, CheckStatus } from "./check.ts";
import { ollamaModelName } from "./ollama.ts";

export type { CheckResult, CheckStatus };

export const FIX_START_PROXY =
  "start the proxy: smol-coder stack up, or docker compose up -d (or set LITELLM_URL to where it listens)";
export const FIX_API_KEY = "set LITELLM_API_KEY to the proxy's master key";
export const FIX_ADD_ALIAS = "add the alias to litellm/config.yaml";
const FIX_PROXY_LOG = "see the proxy's log (docker compose logs litellm, or the terminal running litellm)";

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
