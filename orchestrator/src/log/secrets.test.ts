import { describe, expect, test } from "bun:test";
import {
  isSecretName,
  registerSecret,
  scrub,
  scrubSecrets,
  secretScrubber,
  secretValues,
  withoutSecrets,
} from "./secrets.ts";

const SECRET = "sk-live-4f9a8b7c6d5e";
const OTHER = "ghp_abcdefghijklmnop";

test("secret-looking names, and only those, are secrets", () => {
  for (const name of [
    "OPENAI_API_KEY",
    "GITHUB_TOKEN",
    "LITELLM_MASTER_KEY",
    "DB_PASSWORD",
    "AWS_SECRET_ACCESS_KEY",
    "GOOGLE_CREDENTIALS",
  ]) {
    expect(isSecretName(name)).toBe(true);
  }
  for (const name of ["PATH", "HOME", "LANG", "LITELLM_URL"]) expect(isSecretName(name)).toBe(false);
});

test("secretValues returns the values of secret names, skipping empty ones", () => {
  expect(secretValues({ PATH: "/bin", API_KEY: "sk-123456789", EMPTY_TOKEN: "", HOME: "/root" })).toEqual([
    "sk-123456789",
  ]);
});

describe("withoutSecrets", () => {
  test.each([
    ["an empty environment", {}, {}],
    [
      "ordinary variables are kept",
      { PATH: "/bin", HOME: "/root", LANG: "C.UTF-8" },
      { PATH: "/bin", HOME: "/root", LANG: "C.UTF-8" },
    ],
    [
      "secret-looking names go, whatever their case",
      { PATH: "/bin", LITELLM_API_KEY: "sk-1", github_token: "t", Db_Password: "p" },
      { PATH: "/bin" },
    ],
    ["empty secrets go too", { ANTHROPIC_API_KEY: "", HOME: "/root" }, { HOME: "/root" }],
    ["unset variables are dropped", { PATH: "/bin", GONE: undefined }, { PATH: "/bin" }],
    [
      "git's own settings stay",
      { GIT_CONFIG_NOSYSTEM: "1", GIT_TERMINAL_PROMPT: "0" },
      { GIT_CONFIG_NOSYSTEM: "1", GIT_TERMINAL_PROMPT: "0" },
    ],
  ] as const)("%s", (_, env, expected) => {
    expect(withoutSecrets(env)).toEqual(expected);
  });

  test("the input is not changed", () => {
    const env = { PATH: "/bin", API_KEY: "sk-123456789" };
    withoutSecrets(env);
    expect(env).toEqual({ PATH: "/bin", API_KEY: "sk-123456789" });
  });
});

describe("scrub", () => {
  test("replaces every occurrence of each secret", () => {
    expect(scrub(`key=${SECRET} again ${SECRET} and ${OTHER}`, [SECRET, OTHER])).toBe(
      "key=[REDACTED] again [REDACTED] and [REDACTED]",
    );
  });

  test("ignores secrets shorter than 8 characters", () => {
    expect(scrub("the test passed", ["test", "passed", "1234567"])).toBe("the test passed");
  });

  test("an 8-character secret is scrubbed", () => {
    expect(scrub("token 12345678 used", ["12345678"])).toBe("token [REDACTED] used");
  });

  test("no secrets → text unchanged", () => {
    expect(scrub(`plain ${SECRET}`, [])).toBe(`plain ${SECRET}`);
  });
});

test("secretScrubber scrubs the secret-named values the environment held when it was made", () => {
  const env: Record<string, string | undefined> = {
    PATH: "/usr/bin:/bin",
    LITELLM_API_KEY: SECRET,
    HOME: "/home/someone",
  };
  const scrubber = secretScrubber(env);
  env.LATE_TOKEN = OTHER;
  expect(scrubber(`key ${SECRET} from /usr/bin:/bin in /home/someone, ${OTHER}`)).toBe(
    `key [REDACTED] from /usr/bin:/bin in /home/someone, ${OTHER}`,
  );
});

describe("secrets read from files", () => {
  test("a registered secret (the stack's master key) is scrubbed like an environment one; short values are not", () => {
    const key = `sk-smol-${"ab".repeat(24)}`;
    expect(scrubSecrets(`Bearer ${key}`)).toBe(`Bearer ${key}`);
    registerSecret(key);
    registerSecret("short");
    expect(scrubSecrets(`Bearer ${key} short`)).toBe("Bearer [REDACTED] short");
  });
});

test("the Redis URLs' variables: their passwords are secrets, the URLs themselves not; no child process gets them", () => {
  const env = {
    SMOL_CODER_QUEUE: "redis://:queue-pass-1@10.0.0.5:6379",
    SMOL_CODER_LIMITS_REDIS: "redis://127.0.0.1:6379",
    PATH: "/bin",
  };
  expect(secretValues(env)).toEqual(["queue-pass-1"]);
  expect(withoutSecrets(env)).toEqual({ PATH: "/bin" });
});
