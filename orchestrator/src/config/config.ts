// Configuration, the pure part: the schema with defaults, and layering (file, then environment, then flags).
// Reading the file is config/file.ts; where state lives by default is config/paths.ts.
import { z } from "zod";
import { ConfigInvalid } from "../errors.ts";
import { defaultDbPath, defaultLogDir } from "./paths.ts";
import {
  DaemonSettings,
  LimitsSettings,
  EndpointSettings,
  GuidanceSettings,
  HumanEvalSettings,
  PatchSettings,
  SandboxSettings,
  VerifySettings,
} from "./sections.ts";

export { ERROR_LIMITS, HUMANEVAL_DEFAULTS } from "./sections.ts";

const Price = z
  .object({
    inputPerMTok: z.number().min(0).describe("USD per million prompt tokens"),
    outputPerMTok: z.number().min(0).describe("USD per million completion tokens"),
  })
  .strict();
export type Price = z.infer<typeof Price>;

/** Local models cost nothing; the frontier aliases default to Claude Sonnet 4.5 list prices. */
const DEFAULT_PRICES: Record<string, Price> = {
  "fast-coder": { inputPerMTok: 0, outputPerMTok: 0 },
  "deep-coder": { inputPerMTok: 0, outputPerMTok: 0 },
  "spec-writer": { inputPerMTok: 0, outputPerMTok: 0 },
  reviewer: { inputPerMTok: 3, outputPerMTok: 15 },
  mentor: { inputPerMTok: 3, outputPerMTok: 15 },
};

/** The num_ctx litellm/config.yaml gives the local (Ollama) aliases; the two must agree. */
export const LOCAL_CONTEXT_TOKENS = 16_384;

const tierSettings = (model: string, concurrency: number, contextTokens: number | null) =>
  z
    .object({
      model: z.string().min(1).default(model).describe("Model alias on the LiteLLM proxy"),
      concurrency: z
        .number()
        .int()
        .min(1)
        .default(concurrency)
        .describe("Most model calls in flight at once for this tier, per process"),
      contextTokens: z
        .number()
        .int()
        .min(256)
        .nullable()
        .default(contextTokens)
        .describe(
          "The model's context window, sent as num_ctx on every call (Ollama otherwise uses its small default and truncates silently); null for backends that size their own (frontier APIs)",
        ),
      maxReplyTokens: z
        .number()
        .int()
        .min(16)
        .nullable()
        .default(null)
        .describe(
          "A cap on each reply's tokens, sent as max_tokens: a small local model that loops otherwise writes until its context is full, minutes on a CPU; null = the backend's own",
        ),
    })
    .strict()
    .prefault({});

export const Config = z
  .object({
    endpoint: EndpointSettings,
    tiers: z
      .object({
        fast: tierSettings("fast-coder", 4, LOCAL_CONTEXT_TOKENS),
        deep: tierSettings("deep-coder", 1, LOCAL_CONTEXT_TOKENS),
        reviewer: tierSettings("reviewer", 2, null),
      })
      .strict()
      .prefault({}),
    roles: z
      .object({
        specWriter: tierSettings("spec-writer", 2, LOCAL_CONTEXT_TOKENS),
        mentor: tierSettings("mentor", 2, null),
      })
      .strict()
      .prefault({})
      .describe("Models that advise rather than edit: the spec writer and the mentor"),
    guidance: GuidanceSettings,
    prices: z
      .record(z.string(), Price)
      .default(DEFAULT_PRICES)
      .describe("Per-alias prices, used when the proxy sends no x-litellm-response-cost header"),
    humaneval: HumanEvalSettings,
    daemon: DaemonSettings,
    limits: LimitsSettings,
    policy: z
      .object({
        failuresBeforeEscalation: z
          .number()
          .int()
          .min(1)
          .default(2)
          .describe("Failed attempts at one tier before escalating"),
        maxAttempts: z.number().int().min(1).max(100).default(5).describe("Attempts per task, all tiers together"),
      })
      .strict()
      .prefault({}),
    routing: z
      .object({
        deepWhenFilesOver: z.number().int().min(0).default(5).describe("Start at deep when a task owns more files"),
        deepWhenDescriptionOver: z
          .number()
          .int()
          .min(0)
          .default(1000)
          .describe("Start at deep above this many characters"),
      })
      .strict()
      .prefault({}),
    patch: PatchSettings,
    verify: VerifySettings,
    sandbox: SandboxSettings,
    logDir: z
      .string()
      .default(() => defaultLogDir(process.env))
      .describe("A copy of every event goes here; default $XDG_DATA_HOME/smol-coder/logs"),
    db: z
      .string()
      .default(() => defaultDbPath(process.env))
      .describe("SQLite run records (SMOL_CODER_DB, --db); default $XDG_DATA_HOME/smol-coder/runs.db"),
  })
  .strict();
export type Config = z.infer<typeof Config>;
export type ConfigInput = z.input<typeof Config>;

/** Deep-merges plain objects; later layers win. */
function merge(base: Record<string, unknown>, layer: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(layer)) {
    const current = out[key];
    const bothObjects = [current, value].every((v) => typeof v === "object" && v !== null && !Array.isArray(v));
    out[key] = bothObjects ? merge(current as Record<string, unknown>, value as Record<string, unknown>) : value;
  }
  return out;
}

/** Pure: builds the config from layers (file, env, flags), lowest precedence first. */
export function buildConfig(layers: Record<string, unknown>[]): Config {
  // Default prices are a base layer, so a config that prices one alias keeps the others.
  const merged = layers.reduce(merge, { prices: DEFAULT_PRICES });
  const parsed = Config.safeParse(merged);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = issue.path.map(String).join(".") || "(root)";
  const problem =
    issue.code === "unrecognized_keys" ? `unknown key(s) ${issue.keys.join(", ")}` : issue.message.toLowerCase();
  throw new ConfigInvalid(field, problem, "see docs/configuration.md");
}

/** Pure: the environment's part of the config. Only documented variables are read. */
export function configFromEnv(env: Record<string, string | undefined>): Record<string, unknown> {
  const layer: Record<string, unknown> = {};
  if (env.LITELLM_URL) layer.endpoint = { url: env.LITELLM_URL };
  if (env.SMOL_CODER_DB) layer.db = env.SMOL_CODER_DB;
  if (env.SMOL_CODER_LIMITS_REDIS) layer.limits = { redis: env.SMOL_CODER_LIMITS_REDIS };
  if (env.SMOL_CODER_QUEUE) layer.daemon = { queue: env.SMOL_CODER_QUEUE };
  if (env.SMOL_CODER_PYTHON) layer.humaneval = { python: env.SMOL_CODER_PYTHON };
  if (env.SMOL_CODER_SANDBOX_READONLY)
    layer.sandbox = { readOnly: env.SMOL_CODER_SANDBOX_READONLY.split(":").filter(Boolean) };
  return layer;
}
