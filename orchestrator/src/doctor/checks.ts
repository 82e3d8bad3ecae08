// The checks of `smol-coder doctor`: HTTP to the proxy and to Ollama, and this machine's probes (probes.ts). Each has a
// time limit and independent ones run at once; doctor.ts decides what results mean.
import { lookup } from "node:dns/promises";
import { tmpdir } from "node:os";
import type { Config } from "../config/config.ts";
import {
  aliasCheck,
  displayUrl,
  doctorReport,
  errorMessageFrom,
  formatReport,
  livelinessCheck,
  readinessCheck,
  verdict,
  type AliasProbe,
  type CheckResult,
} from "./doctor.ts";
import { daemonRow, diskRow, gitRow, pythonRow, queueRow, sandboxRow, withTimeout } from "./probes.ts";
import { deploymentsFrom, noOllamaDetail, ollamaBase, ollamaChecks, ollamaModels, type OllamaModel } from "./ollama.ts";
import { connectionFailure, getJson, probeHealth, proxyRoot, type Probe } from "../models/health.ts";
import { scrub, scrubSecrets } from "../log/secrets.ts";
import { stackApiKey } from "../stack/lifecycle.ts";
import { frontierCheck } from "./tiers.ts";

const HTTP_TIMEOUT_MS = 5_000;
/** A one-token answer, but a local model may have to load first. */
const ALIAS_TIMEOUT_MS = 30_000;
const DNS_TIMEOUT_MS = 2_000;

type Env = Record<string, string | undefined>;

/**
 * `smol-coder doctor`: prints the table (or --json) on stdout. Exit code 0 when nothing failed (warnings and
 * skips allowed), 1 when any check failed.
 */
export async function doctorCommand(config: Config, options: { json?: boolean }): Promise<number> {
  // The same key a run would use: LITELLM_API_KEY, or the local stack's for a proxy on this machine.
  const apiKey = stackApiKey(process.env, config.endpoint.url);
  const checks = await runChecks(config, { env: process.env, apiKey });
  // JSON on one line, for pipes (jq . pretty-prints it).
  const text = options.json ? JSON.stringify(doctorReport(checks)) : formatReport(checks);
  process.stdout.write(scrub(scrubSecrets(`${text}\n`), apiKey ? [apiKey] : []));
  return verdict(checks).exitCode;
}

/** What the checks read besides the config: the environment (OLLAMA_API_BASE, PATH) and the proxy's key. */
export type DoctorDeps = { env: Env; apiKey: string | undefined };

/** Every check, in table order: the proxy and what is behind it, then this machine. */
export async function runChecks(config: Config, { env, apiKey }: DoctorDeps): Promise<CheckResult[]> {
  const [proxy, machine] = await Promise.all([
    proxyChecks(config, env, apiKey),
    Promise.all([
      pythonRow(config.humaneval.python ?? "python3", env),
      sandboxRow(config),
      gitRow(env),
      daemonRow(env),
      queueRow(config),
      diskRow("logs", config.logDir),
      diskRow("tmp", tmpdir()),
    ]),
  ]);
  return [...proxy, ...machine];
}

/** The aliases smol-coder calls, each once: the tiers' then the roles'. */
export function configAliases(config: Config): string[] {
  return [
    ...new Set([...Object.values(config.tiers), ...Object.values(config.roles)].map((settings) => settings.model)),
  ];
}

async function proxyChecks(config: Config, env: Env, key: string | undefined): Promise<CheckResult[]> {
  const url = config.endpoint.url;
  const root = proxyRoot(url);
  const aliases = configAliases(config);
  const [live, ready] = await Promise.all([
    probeHealth(url, "liveliness", { timeoutMs: HTTP_TIMEOUT_MS }),
    probeHealth(url, "readiness", { timeoutMs: HTTP_TIMEOUT_MS }),
  ]);
  const liveliness = livelinessCheck(live, displayUrl(root));
  if (live.state === "unreachable") {
    // One failure with its fix, not one per alias.
    const skipped = (name: string): CheckResult => ({ name, status: "skip", detail: "the proxy is not reachable" });
    return [
      liveliness,
      skipped("proxy ready"),
      ...aliases.map((alias) => skipped(`alias ${alias}`)),
      skipped("ollama"),
    ];
  }
  const timeoutMs = Math.min(config.endpoint.timeoutMs, ALIAS_TIMEOUT_MS);
  const [probes, info] = await Promise.all([
    Promise.all(aliases.map((alias) => probeAlias(url, alias, key, timeoutMs))),
    getJson(`${root}/model/info`, { apiKey: key, timeoutMs: HTTP_TIMEOUT_MS }),
  ]);
  const deployments = info.state === "up" ? deploymentsFrom(info.body) : [];
  const upstream = (alias: string) => deployments.find((deployment) => deployment.alias === alias)?.model ?? null;
  const aliasRows = aliases.map((alias, index) =>
    aliasCheck(alias, probes[index]!, { upstream: upstream(alias), keySent: Boolean(key) }),
  );
  const answered = new Set(aliases.filter((_, index) => probes[index]!.kind === "answered"));
  const frontier = info.state === "up" ? [frontierCheck(deployments)] : [];
  return [
    liveliness,
    readinessCheck(ready),
    ...aliasRows,
    ...frontier,
    ...(await ollamaRows(info, aliases, answered, env)),
  ];
}

async function probeAlias(
  url: string,
  alias: string,
  apiKey: string | undefined,
  timeoutMs: number,
): Promise<AliasProbe> {
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  const timeout = AbortSignal.timeout(timeoutMs);
  try {
    const response = await fetch(`${url.replace(/\/+$/, "")}/chat/completions`, {
      method: "POST",
      headers: { ...authorization(apiKey), "content-type": "application/json" },
      body: JSON.stringify({
        model: alias,
        messages: [{ role: "user", content: "Say OK." }],
        max_tokens: 1,
        temperature: 0,
      }),
      signal: timeout,
    });
    const text = await response.text();
    if (response.ok) return { kind: "answered", ms: ms() };
    return { kind: "refused", status: response.status, message: errorMessageFrom(text), ms: ms() };
  } catch (error) {
    if (timeout.aborted) return { kind: "timeout", ms: ms() };
    return { kind: "unreachable", reason: connectionFailure(error), ms: ms() };
  }
}

async function ollamaRows(
  info: Probe,
  aliases: string[],
  answered: ReadonlySet<string>,
  env: Env,
): Promise<CheckResult[]> {
  if (info.state === "unreachable")
    return [{ name: "ollama", status: "skip", detail: `the proxy's /model/info did not answer (${info.reason})` }];
  if (info.state === "down")
    return [
      {
        name: "ollama",
        status: "skip",
        detail: `the proxy did not list its models (/model/info answered HTTP ${info.status})`,
      },
    ];
  const deployments = deploymentsFrom(info.body);
  const models = ollamaModels(aliases, deployments);
  if (models.length === 0) return [{ name: "ollama", status: "skip", detail: noOllamaDetail(aliases, deployments) }];
  const byBase = new Map<string, OllamaModel[]>();
  for (const model of models) {
    const reportedResolves = !env.OLLAMA_API_BASE && model.apiBase !== null && (await resolves(model.apiBase));
    const base = ollamaBase(env.OLLAMA_API_BASE, model.apiBase, reportedResolves);
    byBase.set(base, [...(byBase.get(base) ?? []), model]);
  }
  const rows = await Promise.all(
    [...byBase].map(async ([base, group]) =>
      ollamaChecks(
        displayUrl(base),
        group,
        await getJson(`${base}/api/tags`, { timeoutMs: HTTP_TIMEOUT_MS }),
        answered,
      ),
    ),
  );
  return rows.flat();
}

/** Whether a URL's host resolves from this machine (a Docker-internal name may not). */
async function resolves(url: string): Promise<boolean> {
  let hostname: string;
  try {
    hostname = new URL(url).hostname.replace(/^\[|\]$/g, "");
  } catch {
    return false;
  }
  return withTimeout(
    lookup(hostname).then(
      () => true,
      () => false,
    ),
    DNS_TIMEOUT_MS,
    false,
  );
}

function authorization(apiKey: string | undefined): Record<string, string> {
  return apiKey ? { authorization: `Bearer ${apiKey}` } : {};
}
