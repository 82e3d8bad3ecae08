// Pure: the proxy's deployments (GET /model/info) and what doctor says about the Ollama models behind them.
import type { Probe } from "../models/probe.ts";
import type { CheckResult } from "./check.ts";

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
