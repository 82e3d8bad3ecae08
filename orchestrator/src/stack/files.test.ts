// The Docker stack's files (compose.yaml, litellm/config.yaml, .env.example) against the invariants that keep the
// proxy safe and in step with the orchestrator. They are read as data; nothing is started.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import path from "node:path";
import { buildConfig } from "../config/config.ts";
import { readConfigFile } from "../config/file.ts";
import { isSecretName } from "../log/secrets.ts";

const REPO_ROOT = path.join(import.meta.dir, "..", "..", "..");
const read = (file: string) => readFileSync(path.join(REPO_ROOT, file), "utf8");

type Service = {
  image: string;
  command?: string[];
  ports?: string[];
  volumes?: string[];
  environment?: Record<string, string>;
  extra_hosts?: string[] | Record<string, string>;
  healthcheck?: { test: string[] | string };
  restart?: string;
  profiles?: string[];
};
type Compose = { services: Record<string, Service>; volumes?: Record<string, unknown> };
type Deployment = { model_name: string; litellm_params: Record<string, unknown> };
type LitellmConfig = {
  model_list: Deployment[];
  router_settings: Record<string, unknown>;
  litellm_settings?: Record<string, unknown>;
  general_settings: Record<string, unknown>;
};

const compose = Bun.YAML.parse(read("compose.yaml")) as Compose;
const proxy = compose.services.litellm!;
const ollama = compose.services.ollama!;
const litellm = Bun.YAML.parse(read("litellm/config.yaml")) as LitellmConfig;
const envExample = read(".env.example");
const defaults = buildConfig([]);

/** Every alias the default config calls, with the concurrency and context window it assumes. */
const aliasesInUse = [
  defaults.tiers.fast,
  defaults.tiers.deep,
  defaults.tiers.reviewer,
  defaults.roles.specWriter,
  defaults.roles.mentor,
];
const deployment = (alias: string) => litellm.model_list.find((entry) => entry.model_name === alias);
const isLocal = (entry: Deployment) => /^ollama(_chat)?\//.test(String(entry.litellm_params.model));
const healthcheckText = (service: Service) => [service.healthcheck?.test ?? []].flat().join(" ");

/** Pure: "KEY=value" lines of a dotenv file; `commented` also takes "# KEY=value" lines. */
function dotenv(text: string, commented = false): Map<string, string> {
  const pattern = commented ? /^#?\s*([A-Z_][A-Z0-9_]*)=(.*)$/ : /^([A-Z_][A-Z0-9_]*)=(.*)$/;
  return new Map(
    text.split("\n").flatMap((line) => {
      const match = pattern.exec(line.trim());
      return match ? [[match[1]!, match[2]!.trim()] as [string, string]] : [];
    }),
  );
}

/** Pure: every [key, value] pair anywhere in a parsed YAML document. */
function allEntries(value: unknown): [string, unknown][] {
  if (Array.isArray(value)) return value.flatMap(allEntries);
  if (typeof value !== "object" || value === null) return [];
  return Object.entries(value).flatMap(([key, child]) => [[key, child] as [string, unknown], ...allEntries(child)]);
}

describe("compose.yaml: the proxy", () => {
  const [imageName, tag] = proxy.image.split(":");

  test("is LiteLLM at a pinned release, the same one litellm/requirements.txt installs natively", () => {
    expect(imageName).toBe("ghcr.io/berriai/litellm");
    expect(tag).toMatch(/^(main-)?v\d+\.\d+\.\d+(-stable(\.\d+)?)?$/);
    const pin = /^litellm\[proxy\]==(\d+\.\d+\.\d+)$/m.exec(read("litellm/requirements.txt"));
    expect(pin).not.toBeNull();
    expect(tag!.match(/\d+\.\d+\.\d+/)![0]).toBe(pin![1]!);
  });

  test("serves port 4000 with the repository's config mounted read-only", () => {
    expect(proxy.ports!.some((port) => port.endsWith(":4000"))).toBe(true);
    expect(proxy.volumes).toContain("./litellm/config.yaml:/app/config.yaml:ro");
    expect(proxy.command!.join(" ")).toContain("--config /app/config.yaml");
    expect(proxy.command!.join(" ")).toContain("--port 4000");
  });

  test("checks health on /health/liveliness, never plain /health (which calls every model, paid ones too)", () => {
    const check = healthcheckText(proxy);
    expect(check).toContain("/health/liveliness");
    expect(check).not.toMatch(/\/health(?![/\w])/);
  });

  test("reaches a host Ollama through host-gateway, and restarts on its own", () => {
    const hosts = Array.isArray(proxy.extra_hosts)
      ? proxy.extra_hosts.map((entry) => entry.replace("=", ":"))
      : Object.entries(proxy.extra_hosts ?? {}).map(([host, address]) => `${host}:${address}`);
    expect(hosts).toContain("host.docker.internal:host-gateway");
    expect(["always", "unless-stopped", "on-failure"]).toContain(proxy.restart!);
  });

  test("takes its master key and provider keys from .env, never literally, and refuses to start without a master key", () => {
    const environment = proxy.environment!;
    expect(environment.LITELLM_MASTER_KEY).toMatch(/^\$\{LITELLM_MASTER_KEY:\?.+\}$/);
    for (const [name, value] of Object.entries(environment)) {
      if (isSecretName(name)) expect(value).toMatch(new RegExp(`^\\$\\{${name}(:[-?].*)?\\}$`));
    }
    expect(environment.OLLAMA_API_BASE).toMatch(/^\$\{OLLAMA_API_BASE:-http:\/\/host\.docker\.internal:11434\}$/);
  });
});

describe("compose.yaml: the optional Ollama", () => {
  test("runs only under a profile, at a pinned tag, keeping its models in a named volume", () => {
    expect(ollama.profiles).toEqual(["ollama"]);
    expect(ollama.image).toMatch(/^ollama\/ollama:\d+\.\d+\.\d+$/);
    const volume = ollama.volumes!.find((entry) => entry.endsWith(":/root/.ollama"))!;
    expect(Object.keys(compose.volumes ?? {})).toContain(volume.split(":")[0]!);
  });

  test("has a healthcheck that works in its image (which has no curl)", () => {
    const check = healthcheckText(ollama);
    expect(check).toContain("ollama");
    expect(check).not.toMatch(/\b(curl|wget)\b/);
  });
});

describe("compose.yaml: the optional Redis (the swarm profile)", () => {
  const redis = compose.services.redis!;
  test("runs only under a profile, at a pinned tag, append-only, its data in a named volume", () => {
    expect(redis.profiles).toEqual(["swarm"]);
    expect(redis.image).toMatch(/^redis:\d+\.\d+\.\d+$/);
    expect([redis.command ?? []].flat().join(" ")).toContain("--appendonly yes");
    const volume = redis.volumes!.find((entry) => entry.endsWith(":/data"))!;
    expect(Object.keys(compose.volumes ?? {})).toContain(volume.split(":")[0]!);
  });

  test("requires a password from the environment, kept off the command lines; published on loopback by default", () => {
    expect((redis.environment as Record<string, string>).REDIS_PASSWORD).toMatch(/^\$\{REDIS_PASSWORD:\?.+\}$/);
    const command = [redis.command ?? []].flat().join(" ");
    expect(command).toContain('--requirepass "$$REDIS_PASSWORD"');
    expect(healthcheckText(redis)).toContain('REDISCLI_AUTH="$$REDIS_PASSWORD" redis-cli ping');
    expect(redis.ports).toEqual(["${REDIS_BIND:-127.0.0.1}:6379:6379"]);
  });
});

describe("litellm/config.yaml", () => {
  test("defines every alias the orchestrator's default config calls", () => {
    for (const { model } of aliasesInUse) expect(deployment(model)).toBeDefined();
  });

  test("max_parallel_requests equals the orchestrator's concurrency for each alias", () => {
    for (const { model, concurrency } of aliasesInUse)
      expect([model, deployment(model)!.litellm_params.max_parallel_requests]).toEqual([model, concurrency]);
  });

  test("the aliases priced as free are local models, and the paid ones are not", () => {
    for (const { model } of aliasesInUse) {
      const free = defaults.prices[model]!.inputPerMTok === 0 && defaults.prices[model]!.outputPerMTok === 0;
      expect([model, isLocal(deployment(model)!)]).toEqual([model, free]);
    }
  });

  test("every Ollama model has num_ctx (the orchestrator's contextTokens), keep_alive, and api_base from the environment", () => {
    const local = litellm.model_list.filter(isLocal);
    expect(local.length).toBeGreaterThan(0);
    // typeof, not toMatchObject with expect.any(): Bun 1.4.5's toMatchObject writes the matchers into the object.
    for (const { model_name, litellm_params: params } of local) {
      expect([model_name, params.api_base, typeof params.keep_alive, typeof params.num_ctx]).toEqual([
        model_name,
        "os.environ/OLLAMA_API_BASE",
        "string",
        "number",
      ]);
    }
    for (const { model, contextTokens } of aliasesInUse) {
      if (isLocal(deployment(model)!))
        expect([model, deployment(model)!.litellm_params.num_ctx]).toEqual([model, contextTokens]);
    }
  });

  test("holds no literal secret: keys come from os.environ/", () => {
    const secretEntries = allEntries(litellm).filter(([key]) => isSecretName(key));
    expect(secretEntries.map(([key]) => key)).toContain("master_key");
    for (const [key, value] of secretEntries)
      expect([key, value]).toEqual([key, expect.stringMatching(/^os\.environ\/[A-Z_][A-Z0-9_]*$/)]);
    expect(read("litellm/config.yaml")).not.toMatch(/sk-[A-Za-z0-9_-]{8,}/);
  });

  test("router retries and times out within the orchestrator's own per-call timeout", () => {
    const { num_retries: retries, retry_after: retryAfter, timeout } = litellm.router_settings;
    expect([typeof retries, typeof retryAfter, typeof timeout]).toEqual(["number", "number", "number"]);
    expect(timeout as number).toBeLessThan(defaults.endpoint.timeoutMs / 1000);
  });

  test("no fallback sends a local alias's traffic to a paid model", () => {
    const settings = { ...litellm.litellm_settings, ...litellm.router_settings };
    const routes = ["fallbacks", "context_window_fallbacks", "content_policy_fallbacks"].flatMap((key) =>
      ((settings[key] as Record<string, string[]>[] | undefined) ?? []).flatMap((route) => Object.entries(route)),
    );
    for (const [from, targets] of routes) {
      const source = deployment(from);
      if (source === undefined || !isLocal(source)) continue;
      for (const target of targets)
        expect([from, target, deployment(target) && isLocal(deployment(target)!)]).toEqual([from, target, true]);
    }
  });
});

describe(".env.example", () => {
  const values = dotenv(envExample);

  test("names the master key, and holds no real-looking key", () => {
    expect(values.has("LITELLM_MASTER_KEY")).toBe(true);
    for (const [name, value] of values) if (isSecretName(name)) expect([name, value]).toEqual([name, ""]);
    expect(envExample).not.toMatch(/sk-(ant-)?[A-Za-z0-9_-]{16,}/);
  });

  test("documents every variable compose.yaml reads, and the Ollama address for the ollama profile", () => {
    const documented = dotenv(envExample, true);
    const interpolated = [...read("compose.yaml").matchAll(/\$\{([A-Z_][A-Z0-9_]*)/g)].map((match) => match[1]!);
    for (const name of interpolated) expect([name, documented.has(name)]).toEqual([name, true]);
    expect(envExample).toContain("OLLAMA_API_BASE=http://ollama:11434");
  });
});

describe("tasks/configs/local-stack.json", () => {
  test("a valid config that prices every alias at zero: on the local stack each one is the free small model", () => {
    const config = buildConfig([
      readConfigFile(path.join(import.meta.dir, "..", "..", "..", "tasks", "configs", "local-stack.json")),
    ]);
    for (const alias of [
      config.tiers.fast.model,
      config.tiers.deep.model,
      config.tiers.reviewer.model,
      config.roles.specWriter.model,
      config.roles.mentor.model,
    ]) {
      expect([alias, config.prices[alias]]).toEqual([alias, { inputPerMTok: 0, outputPerMTok: 0 }]);
    }
  });
});
