// The LiteLLM config of the llama path, pure: which local model each alias gets, and the overlay file written from
// the user's litellm/config.yaml.
import { z } from "zod";
import { LOCAL_MODELS, type ModelRole } from "./models.ts";
import { LOCAL_CALL_TIMEOUT_S, MODEL_MAX_TOKENS } from "./stack.ts";

/** What litellm/config.yaml must hold; the rest (router_settings, general_settings) is kept as it is. */
export const LitellmConfig = z
  .object({
    model_list: z
      .array(
        z.looseObject({
          model_name: z.string().min(1),
          litellm_params: z.looseObject({ max_parallel_requests: z.number().int().min(1).optional() }),
        }),
      )
      .min(1),
  })
  .loose();
export type LitellmConfig = z.infer<typeof LitellmConfig>;

/** Which model each alias gets on the llama path: the local ones by tier; reviewer and mentor the frontier's when its key is set. */
export const ALIAS_MODELS: Record<string, ModelRole | "frontier"> = {
  "fast-coder": "fast",
  "deep-coder": "deep",
  "spec-writer": "deep",
  reviewer: "frontier",
  mentor: "frontier",
};

/**
 * Pure: the config of the llama path. fast-coder is the 0.5B, deep-coder and spec-writer the 1.5B; reviewer and
 * mentor keep config.yaml's frontier model when `frontier` (its key is set), else the 1.5B too. Local models cost
 * nothing, so the proxy reports 0 rather than a frontier price. Local aliases have no max_parallel_requests: the
 * llama.cpp server queues calls beyond its slots itself, while LiteLLM answers 429 at the limit, and on a bench here
 * it did so to spec-writer calls while smol-coder held no more than its 2 permits (calls of a minute or more on
 * two cores), ending tasks as unreachable. smol-coder's own permits bound each process's calls.
 */
export function overlayConfig(
  config: LitellmConfig,
  options: { modelUrls: Record<ModelRole, string>; frontier: boolean },
): LitellmConfig {
  const modelList = config.model_list.map((entry) => {
    const wanted = ALIAS_MODELS[entry.model_name] ?? "deep";
    if (wanted === "frontier" && options.frontier) return entry;
    const role: ModelRole = wanted === "frontier" ? "deep" : wanted;
    return {
      model_name: entry.model_name,
      litellm_params: {
        model: `openai/${LOCAL_MODELS[role].alias}`,
        api_base: options.modelUrls[role],
        // llama.cpp's server checks no key; LiteLLM's OpenAI client insists on one.
        api_key: "no-key",
        max_tokens: MODEL_MAX_TOKENS[role],
      },
      // All four prices, or LiteLLM warns at every start that the cache prices default to 0.
      model_info: {
        input_cost_per_token: 0,
        output_cost_per_token: 0,
        cache_creation_input_token_cost: 0,
        cache_read_input_token_cost: 0,
      },
    };
  });
  const routerSettings = (config.router_settings ?? {}) as Record<string, unknown>;
  return { ...config, model_list: modelList, router_settings: { ...routerSettings, timeout: LOCAL_CALL_TIMEOUT_S } };
}

/**
 * Pure: the overlay file's text. JSON is YAML (flow style), and a double-quoted JSON string stays a string under
 * PyYAML's YAML 1.1 rules, where plain `on` or `no` would turn into booleans.
 */
export function renderOverlay(config: LitellmConfig, source: string): string {
  return `# Written by smol-coder stack up from ${source}: the aliases on the local Qwen models (llama.cpp). Edits are overwritten.\n${JSON.stringify(config, null, 2)}\n`;
}
