import { describe, expect, test } from "bun:test";
import { buildConfig, configFromEnv, type Config } from "./config.ts";
import { ConfigInvalid } from "../errors.ts";
import { redactRedisUrl } from "./sections.ts";

function invalid(layers: Record<string, unknown>[]): ConfigInvalid {
  try {
    buildConfig(layers);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigInvalid);
    return error as ConfigInvalid;
  }
  throw new Error(`expected ConfigInvalid for ${JSON.stringify(layers)}`);
}

describe("buildConfig defaults", () => {
  const config: Config = buildConfig([]);

  test("tier models and concurrency", () => {
    expect(config.tiers).toEqual({
      fast: { model: "fast-coder", concurrency: 4, contextTokens: 16_384, maxReplyTokens: null },
      deep: { model: "deep-coder", concurrency: 1, contextTokens: 16_384, maxReplyTokens: null },
      reviewer: { model: "reviewer", concurrency: 2, contextTokens: null, maxReplyTokens: null },
    });
    expect(config.roles.specWriter.contextTokens).toBe(16_384);
    expect(config.roles.mentor.contextTokens).toBeNull();
  });

  test("policy, verify, patch, routing", () => {
    expect(config.policy).toEqual({ maxAttempts: 5, failuresBeforeEscalation: 2 });
    expect(config.verify.timeoutMs).toBe(60_000);
    expect(config.verify.maxErrors).toBe(10);
    expect(config.verify.maxErrorChars).toBe(400);
    expect(config.patch.maxChangedLines).toBe(300);
    expect(config.routing).toEqual({ deepWhenFilesOver: 5, deepWhenDescriptionOver: 1000 });
  });

  test("endpoint", () => {
    expect(config.endpoint).toEqual({
      url: "http://localhost:4000/v1",
      timeoutMs: 120_000,
      maxRetries: 3,
      retryBaseMs: 500,
      retryMaxMs: 8_000,
      readyTimeoutMs: 60_000,
    });
    expect(typeof config.logDir).toBe("string");
  });

  test("empty layers give the same defaults", () => {
    expect(buildConfig([{}, {}, {}])).toEqual(config);
  });
});

describe("buildConfig layering", () => {
  test("later layers win", () => {
    const config = buildConfig([{ policy: { maxAttempts: 3 } }, { policy: { maxAttempts: 9 } }]);
    expect(config.policy.maxAttempts).toBe(9);
  });

  test("deep merge keeps keys from earlier layers", () => {
    const config = buildConfig([
      { endpoint: { url: "http://proxy:4000/v1", maxRetries: 1 }, policy: { failuresBeforeEscalation: 3 } },
      { endpoint: { timeoutMs: 5000 } },
      { policy: { maxAttempts: 8 } },
    ]);
    expect(config.endpoint).toMatchObject({
      url: "http://proxy:4000/v1",
      maxRetries: 1,
      timeoutMs: 5000,
      retryBaseMs: 500,
    });
    expect(config.policy).toEqual({ failuresBeforeEscalation: 3, maxAttempts: 8 });
  });

  test("deep merge inside a tier", () => {
    const config = buildConfig([
      { tiers: { fast: { model: "qwen", concurrency: 8 } } },
      { tiers: { fast: { concurrency: 2 } } },
    ]);
    expect(config.tiers.fast).toEqual({ model: "qwen", concurrency: 2, contextTokens: 16_384, maxReplyTokens: null });
    expect(config.tiers.deep).toEqual({
      model: "deep-coder",
      concurrency: 1,
      contextTokens: 16_384,
      maxReplyTokens: null,
    });
  });

  // A config file that only renames a tier's model should keep that tier's default concurrency, as every other
  // section does for its missing fields. Currently the tier default applies only when the whole tier is absent.
  test("a tier can override only its model", () => {
    const config = buildConfig([{ tiers: { fast: { model: "qwen2.5-coder" } } }]);
    expect(config.tiers.fast).toEqual({
      model: "qwen2.5-coder",
      concurrency: 4,
      contextTokens: 16_384,
      maxReplyTokens: null,
    });
  });

  test("env layer overrides the file, flags override env", () => {
    const file = { endpoint: { url: "http://file:1/v1", timeoutMs: 1000 } };
    const env = configFromEnv({ LITELLM_URL: "http://env:2/v1" });
    const flags = { endpoint: { timeoutMs: 2000 } };
    expect(buildConfig([file, env, flags]).endpoint).toMatchObject({ url: "http://env:2/v1", timeoutMs: 2000 });
  });
});

describe("buildConfig errors", () => {
  test("unknown top-level key is named", () => {
    const error = invalid([{ polcy: { maxAttempts: 3 } }]);
    expect(error.problem).toContain("polcy");
    expect(error.message).toContain("polcy");
  });

  test("unknown nested key is named with its section", () => {
    const error = invalid([{ tiers: { fast: { model: "x", concurrency: 1, temperature: 0 } } }]);
    expect(error.field).toBe("tiers.fast");
    expect(error.problem).toContain("temperature");
  });

  test("unknown tier is named", () => {
    expect(invalid([{ tiers: { turbo: { model: "x", concurrency: 1 } } }]).problem).toContain("turbo");
  });

  test.each([
    [{ verify: { timeoutMs: "60s" } }, "verify.timeoutMs"],
    [{ policy: { maxAttempts: 0 } }, "policy.maxAttempts"],
    [{ policy: { failuresBeforeEscalation: 1.5 } }, "policy.failuresBeforeEscalation"],
    [{ tiers: { deep: { model: "d", concurrency: 0 } } }, "tiers.deep.concurrency"],
    [{ endpoint: { url: "not a url" } }, "endpoint.url"],
    [{ patch: { maxChangedLines: -1 } }, "patch.maxChangedLines"],
    [{ logDir: 42 }, "logDir"],
  ] as [Record<string, unknown>, string][])("%o → %s", (layer, field) => {
    const error = invalid([layer]);
    expect(error.field).toBe(field);
    expect(error.message).toStartWith(`config ${field}: `);
  });

  test("a later layer's bad value fails even when an earlier one is fine", () => {
    expect(invalid([{ policy: { maxAttempts: 4 } }, { policy: { maxAttempts: "many" } }]).field).toBe(
      "policy.maxAttempts",
    );
  });

  test("a later layer can fix an earlier bad value", () => {
    expect(buildConfig([{ policy: { maxAttempts: 0 } }, { policy: { maxAttempts: 2 } }]).policy.maxAttempts).toBe(2);
  });
});

describe("configFromEnv", () => {
  test("LITELLM_URL sets the endpoint url", () => {
    expect(configFromEnv({ LITELLM_URL: "http://gpu-box:4000/v1" })).toEqual({
      endpoint: { url: "http://gpu-box:4000/v1" },
    });
  });

  test("unset or empty LITELLM_URL contributes nothing", () => {
    expect(configFromEnv({})).toEqual({});
    expect(configFromEnv({ LITELLM_URL: "" })).toEqual({});
  });

  test("undocumented variables are ignored", () => {
    expect(configFromEnv({ SMOL_CODER_MAX_ATTEMPTS: "9", OPENAI_API_KEY: "sk-x", PATH: "/bin" })).toEqual({});
  });
});

describe("limits.redis", () => {
  test("a redis:// or rediss:// URL, from the config or SMOL_CODER_LIMITS_REDIS; anything else is refused by name", () => {
    expect(buildConfig([]).limits).toEqual({ redis: null, prefix: "smol-coder", leaseMs: 10_000 });
    expect(buildConfig([configFromEnv({ SMOL_CODER_LIMITS_REDIS: "rediss://:pw@h:6380/0" })]).limits.redis).toBe(
      "rediss://:pw@h:6380/0",
    );
    expect(() => buildConfig([{ limits: { redis: "http://h:6379" } }])).toThrow("limits.redis");
    expect(() => buildConfig([{ limits: { prefix: "a b" } }])).toThrow("limits.prefix");
  });

  test("its password is hidden wherever the URL is shown", () => {
    expect(redactRedisUrl("redis://:s3cret-pw@h:6379/0")).toBe("redis://:***@h:6379/0");
    expect(redactRedisUrl("rediss://worker:s3cret-pw@h:6380")).toBe("rediss://worker:***@h:6380");
    expect(redactRedisUrl("redis://s3cret-pw@h")).toBe("redis://***@h");
    expect(redactRedisUrl("redis://h:6379")).toBe("redis://h:6379");
    // As ioredis reads it, the last @ ends the credentials: a password holding an @ is hidden whole.
    expect(redactRedisUrl("redis://:p@ss-word@h:6379")).toBe("redis://:***@h:6379");
    expect(redactRedisUrl("redis://:p%40ss@h:6379/2")).toBe("redis://:***@h:6379/2");
  });
});

describe("a Redis on another machine", () => {
  test("needs a password, for the queue and for the limits; loopback may go without", () => {
    expect(() => buildConfig([{ daemon: { queue: "redis://10.0.0.5:6379" } }])).toThrow(
      "daemon.queue: names 10.0.0.5, another machine, without a password",
    );
    expect(() => buildConfig([{ limits: { redis: "rediss://cache.example:6380" } }])).toThrow("without a password");
    expect(buildConfig([{ daemon: { queue: "redis://:pw@10.0.0.5:6379" } }]).daemon.queue).toBe(
      "redis://:pw@10.0.0.5:6379",
    );
    expect(buildConfig([{ daemon: { queue: "redis://127.0.0.1:6379" } }]).daemon.queue).toBe("redis://127.0.0.1:6379");
    expect(() => buildConfig([{ daemon: { queue: "postgres://h" } }])).toThrow("daemon.queue");
  });
});
