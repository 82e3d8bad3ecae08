// Configuration, the pure part: the schema with defaults, and layering (file, then environment, then flags).
// Reading the file is config/file.ts; where state lives by default is config/paths.ts.
import { z } from "zod";
import { ConfigInvalid } from "../errors.ts";
import { EDIT_FORMATS } from "../patch/types.ts";
import { isSecretName } from "../log/secrets.ts";
import { defaultDbPath, defaultLogDir } from "./paths.ts";

const EditFormat = z.enum(EDIT_FORMATS);

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

/** How much of a failure is fed back: workspace checks and HumanEval grading alike. */
export const ERROR_LIMITS = { maxErrors: 10, maxErrorChars: 400 } as const;
export const HUMANEVAL_DEFAULTS = { memoryMb: 1024 } as const;

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
    endpoint: z
      .object({
        url: z.string().url().default("http://localhost:4000/v1").describe("OpenAI-compatible base URL (LITELLM_URL)"),
        timeoutMs: z.number().int().min(100).default(120_000).describe("Per model call"),
        maxRetries: z
          .number()
          .int()
          .min(0)
          .max(10)
          .default(3)
          .describe("Retries on 429, 5xx, timeouts, refused connections"),
        retryBaseMs: z.number().int().min(0).default(500).describe("First backoff; doubles each retry"),
        retryMaxMs: z.number().int().min(0).default(8_000).describe("Cap on one backoff, retry-after included"),
        readyTimeoutMs: z
          .number()
          .int()
          .min(0)
          .default(60_000)
          .describe(
            "How long the first model call waits for the proxy's /health/readiness (a proxy that is still starting)",
          ),
      })
      .strict()
      .prefault({}),
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
    guidance: z
      .object({
        spec: z.boolean().default(true).describe("A spec-writer call for the task (--no-spec turns it off)"),
        specWhen: z
          .enum(["before-first-attempt", "after-first-failure"])
          .default("before-first-attempt")
          .describe(
            "When the spec is written: before the first attempt, or only once the first attempt has failed (tasks the fast tier solves at once then cost no spec-writer call)",
          ),
        checkpoints: z
          .boolean()
          .default(true)
          .describe("A mentor checkpoint at each escalation (--no-checkpoints turns it off)"),
        checkpointInterval: z
          .number()
          .int()
          .min(0)
          .default(0)
          .describe("Also a checkpoint every K failed attempts within a tier; 0 = only at escalations"),
        reuseSpec: z
          .boolean()
          .default(false)
          .describe("Reuse a stored spec for the same problem text, spec model and prompt version"),
        reviewsShown: z
          .number()
          .int()
          .min(1)
          .default(3)
          .describe("Most recent checkpoint reviews shown in a prompt; strategy and test criteria always stay"),
      })
      .strict()
      .prefault({}),
    prices: z
      .record(z.string(), Price)
      .default(DEFAULT_PRICES)
      .describe("Per-alias prices, used when the proxy sends no x-litellm-response-cost header"),
    humaneval: z
      .object({
        python: z
          .string()
          .min(1)
          .optional()
          .describe("Python with pytest for grading (SMOL_CODER_PYTHON; default python3 on PATH)"),
        timeoutMs: z.number().int().min(100).default(10_000).describe("Per graded attempt"),
        memoryMb: z
          .number()
          .int()
          .min(64)
          .default(HUMANEVAL_DEFAULTS.memoryMb)
          .describe("Address-space limit of a graded attempt"),
        graderConcurrency: z
          .number()
          .int()
          .min(1)
          .default(2)
          .describe("Attempts graded at once (one per core is right)"),
        stopAfterUnreachable: z
          .number()
          .int()
          .min(1)
          .default(5)
          .describe(
            "A benchmark stops (exit 3) after this many problems in a row end unreachable, rather than marking the rest",
          ),
      })
      .strict()
      .prefault({}),
    daemon: z
      .object({
        maxTasks: z
          .number()
          .int()
          .min(1)
          .default(8)
          .describe("Tasks `smol-coder serve` runs at once (model calls stay within each tier's limit)"),
        maxQueued: z
          .number()
          .int()
          .min(1)
          .default(1000)
          .describe("Tasks that may wait in the daemon's queue; a submission beyond it is refused"),
        drainTimeoutMs: z
          .number()
          .int()
          .min(0)
          .default(30_000)
          .describe("On SIGTERM, how long running tasks may take to finish before they are interrupted and requeued"),
      })
      .strict()
      .prefault({}),
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
    patch: z
      .object({
        maxChangedLines: z.number().int().min(1).default(300).describe("Larger patches are rejected"),
        smallFileBytes: z
          .number()
          .int()
          .min(0)
          .default(8_000)
          .describe("Whole-file and search/replace edits only for files up to this size"),
        formats: z
          .object({
            fast: EditFormat.default("udiff"),
            deep: EditFormat.default("udiff"),
            reviewer: EditFormat.default("udiff"),
          })
          .strict()
          .prefault({})
          .describe("The edit format each tier's prompt asks for; every format is accepted from every tier"),
        layout: z
          .enum(["sections", "plain"])
          .default("sections")
          .describe(
            'How an attempt\'s prompt is laid out: "sections" (headed: task, files, reply) or "plain" (the task, the files as whole-file listings, the reply\'s form)',
          ),
      })
      .strict()
      .prefault({}),
    verify: z
      .object({
        timeoutMs: z.number().int().min(100).default(60_000).describe("Per verification command"),
        maxErrors: z.number().int().min(1).default(ERROR_LIMITS.maxErrors).describe("Errors fed back to the model"),
        maxErrorChars: z
          .number()
          .int()
          .min(40)
          .default(ERROR_LIMITS.maxErrorChars)
          .describe("Each error is trimmed to this length"),
      })
      .strict()
      .prefault({}),
    sandbox: z
      .object({
        enabled: z
          .boolean()
          .default(true)
          .describe("Jail every verification with bubblewrap; false only via --unsafe-no-sandbox"),
        memoryMb: z
          .number()
          .int()
          .min(64)
          .default(2048)
          .describe(
            "Memory for everything one verification starts (cgroup), and each Python candidate's address space",
          ),
        processes: z
          .number()
          .int()
          .min(8)
          .default(256)
          .describe("Processes and threads one verification may have at once"),
        fileSizeMb: z.number().int().min(1).default(256).describe("Largest file a verification may write"),
        tmpMb: z.number().int().min(1).default(512).describe("Size of the private /tmp"),
        openFiles: z.number().int().min(64).default(1024).describe("Open files per process"),
        readOnly: z
          .array(z.string().min(1))
          .default([])
          .describe("Extra host paths verification may read (tools PATH does not reveal)"),
        env: z
          .array(
            z
              .string()
              .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "is not a variable name")
              .refine((name) => !isSecretName(name), "looks like a secret; secrets never reach verification"),
          )
          .default([])
          .describe("Extra environment variable names passed into verification"),
        expose: z
          .array(
            z
              .string()
              .min(1)
              .refine(
                (p) => !p.startsWith("/") && !p.split("/").includes(".."),
                "must be a path or glob inside the workspace",
              ),
          )
          .default([])
          .describe(
            "Workspace paths or globs (e.g. config/test.key) of secret-named files verification may read; the rest (.env, .env.*, *.pem, *.key, id_*, .npmrc, .pypirc) are masked",
          ),
      })
      .strict()
      .prefault({}),
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
  if (env.SMOL_CODER_PYTHON) layer.humaneval = { python: env.SMOL_CODER_PYTHON };
  if (env.SMOL_CODER_SANDBOX_READONLY)
    layer.sandbox = { readOnly: env.SMOL_CODER_SANDBOX_READONLY.split(":").filter(Boolean) };
  return layer;
}
