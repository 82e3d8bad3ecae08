// The config's sections, each a zod schema with defaults and descriptions: the endpoint, guidance, HumanEval's
// grading, the daemon, the patch engine, verification and the sandbox. config.ts composes them with the tiers.
import { hostname } from "node:os";
import { z } from "zod";
import { isSecretName } from "../log/secrets.ts";
import { EDIT_FORMATS } from "../patch/types.ts";

const EditFormat = z.enum(EDIT_FORMATS);
/** How much of a failure is fed back: workspace checks and HumanEval grading alike. */
export const ERROR_LIMITS = { maxErrors: 10, maxErrorChars: 400 } as const;
export const HUMANEVAL_DEFAULTS = { memoryMb: 1024 } as const;

export const EndpointSettings = z
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
  .prefault({});

export const GuidanceSettings = z
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
  .prefault({});

export const HumanEvalSettings = z
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
    graderConcurrency: z.number().int().min(1).default(2).describe("Attempts graded at once (one per core is right)"),
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
  .prefault({});

/**
 * Pure: a Redis URL as it may be shown: any password replaced (redis://:***@host:6379). Parsed as ioredis parses it
 * (the last @ ends the credentials), so a password holding an @ is hidden whole; what does not parse is not shown.
 */
export function redactRedisUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "(a Redis URL that does not parse)";
  }
  if (!parsed.password && !parsed.username) return url;
  const user = parsed.password ? `${parsed.username}:***` : "***";
  return `${parsed.protocol}//${user}@${parsed.host}${parsed.pathname === "/" ? "" : parsed.pathname}`;
}

/** Pure: the password in a Redis URL, so it can be scrubbed from everything logged (null when it has none). */
export function redisPassword(url: string): string | null {
  try {
    return decodeURIComponent(new URL(url).password) || null;
  } catch {
    return null;
  }
}

/**
 * Pure: why a Redis URL may not be used, or null. Whoever writes to the queue's Redis has every daemon run its
 * tasks' checks, and whoever writes to the limits' Redis can stall the swarm: one off this machine needs a password.
 */
export function redisUrlProblem(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "is not a URL";
  }
  const loopback = ["localhost", "127.0.0.1", "[::1]"].includes(parsed.hostname);
  if (!loopback && !parsed.password)
    return `names ${parsed.hostname}, another machine, without a password: give it one (redis://:PASSWORD@${parsed.host}; requirepass or an ACL user on the server)`;
  return null;
}
const redisUrl = z
  .string()
  .regex(/^rediss?:\/\/[^\s]+$/, "must be a redis:// or rediss:// URL")
  .superRefine((url, context) => {
    const problem = redisUrlProblem(url);
    if (problem) context.addIssue({ code: "custom", message: problem });
  });

export const DaemonSettings = z
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
    queue: z
      .union([z.literal("sqlite"), redisUrl], { error: 'must be "sqlite" or a redis:// or rediss:// URL' })
      .default("sqlite")
      .describe(
        "sqlite: the queue in the run store, for one machine; a Redis URL: one queue for every daemon on it, on any machine",
      ),
    leaseMs: z
      .number()
      .int()
      .min(1_000)
      .default(30_000)
      .describe(
        "Redis queue: a daemon that stops renewing (killed, cut off) loses its running tasks to others after this long",
      ),
    machine: z
      .string()
      .min(1)
      .max(200)
      .default(() => hostname())
      .describe(
        "Redis queue: this machine's name (default its host name); a workspace task runs only on the machine it was submitted on",
      ),
  })
  .strict()
  .prefault({});

export const LimitsSettings = z
  .object({
    redis: redisUrl
      .nullable()
      .default(null)
      .describe(
        "Share the tier and role limits with every process on this Redis, on any machine (a lease per call); null: this process's own limits",
      ),
    prefix: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+$/, "letters, digits, _ . - only")
      .default("smol-coder")
      .describe("Key prefix on that Redis: one per swarm"),
    leaseMs: z
      .number()
      .int()
      .min(1_000)
      .default(10_000)
      .describe("A holder that stops renewing (killed, cut off) loses its permit after this long"),
  })
  .strict()
  .prefault({});

export const PatchSettings = z
  .object({
    maxChangedLines: z.number().int().min(1).default(300).describe("Larger patches are rejected"),
    acceptUnchanged: z
      .boolean()
      .default(false)
      .describe(
        "Whether a reply that leaves the owned files as they are completes the task when the checks pass on them. Off: such a reply is refused, since checks that pass without a change cannot show the task done. On: the checks are the task's whole definition of done (a refactoring kept green; bench exercism, which scores as the field's benchmarks do)",
      ),
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
      .enum(["sections", "plain", "chat"])
      .default("sections")
      .describe(
        'How an attempt\'s prompt is laid out: "sections" (headed: task, files, reply), "plain" (the task, the files as whole-file listings, the reply\'s form) or "chat" (the whole-file coder\'s conversation as Aider holds it: its rules as a system message, the files, then the task; whole files are asked whatever the tier\'s format; a HumanEval task keeps "plain")',
      ),
  })
  .strict()
  .prefault({});

export const VerifySettings = z
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
  .prefault({});

export const SandboxSettings = z
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
      .describe("Memory for everything one verification starts (cgroup), and each Python candidate's address space"),
    processes: z.number().int().min(8).default(256).describe("Processes and threads one verification may have at once"),
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
  .prefault({});
