// A real LiteLLM proxy for tests and benchmarks: started natively (no Docker) with a generated config that maps
// smol-coder's aliases onto upstream model names on the fake model server, so the proxy's own routing, retries,
// auth and cost headers are exercised. It starts slowly (10-20 s): start one per test file and reuse it.
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Subprocess } from "bun";
import { REPO_ROOT } from "../src/config/paths.ts";
import { waitUntilReady } from "../src/models/health.ts";
import { ADVISOR_REPLIES, type ScriptStep } from "./fakeModel.ts";

/** The binary CI installs from litellm/requirements.txt; SMOL_CODER_LITELLM points elsewhere. */
export const LITELLM_BINARY = process.env.SMOL_CODER_LITELLM ?? path.join(REPO_ROOT, ".venv", "bin", "litellm");

export const ALIASES = ["fast-coder", "deep-coder", "reviewer", "spec-writer", "mentor"] as const;
export type Alias = (typeof ALIASES)[number];

/** The name the proxy sends upstream for each alias: what the fake model server records and is scripted by. */
export const UPSTREAM: Record<Alias, string> = {
  "fast-coder": "upstream-fast",
  "deep-coder": "upstream-deep",
  reviewer: "upstream-reviewer",
  "spec-writer": "upstream-spec",
  mentor: "upstream-mentor",
};

/** The fake server's default advisor replies, keyed by the advisors' upstream names. */
export const UPSTREAM_ADVISOR_REPLIES: Record<string, ScriptStep> = {
  [UPSTREAM["spec-writer"]]: ADVISOR_REPLIES["spec-writer"],
  [UPSTREAM.mentor]: ADVISOR_REPLIES.mentor,
};

/** LiteLLM's own price fields (USD per token), sent back as x-litellm-response-cost. */
export type TokenCost = { inputCostPerToken: number; outputCostPerToken: number };

export type ProxyServerOptions = {
  /** The fake model server's OpenAI base URL (…/v1). */
  upstreamUrl: string;
  /** Per-alias prices in the proxy's model_info; unpriced aliases cost what LiteLLM's map says (nothing here). */
  costs?: Partial<Record<Alias, TokenCost>>;
  /** router_settings.num_retries: the proxy's own retries of a failed upstream call. */
  numRetries?: number;
  /** router_settings.timeout, in seconds. */
  timeoutS?: number;
  /** false: return as soon as the process is started, before it answers; `ready` resolves later. */
  waitForReady?: boolean;
  readyTimeoutMs?: number;
};

export type ProxyServer = {
  /** The OpenAI base URL smol-coder is given (LITELLM_URL). */
  url: string;
  masterKey: string;
  /** The proxy's process, e.g. to read its environment from /proc. */
  pid: number;
  /** Resolves once /health/readiness answers 200; rejects if the process exits or takes too long. */
  ready: Promise<void>;
  /** The proxy's own stdout and stderr so far, for a failing test's message. */
  output(): string;
  stop(): Promise<void>;
};

/** Pure: the proxy's config, as the object written to its YAML file. */
export function proxyConfig(
  options: Pick<ProxyServerOptions, "upstreamUrl" | "costs" | "numRetries" | "timeoutS">,
): object {
  return {
    model_list: ALIASES.map((alias) => {
      const cost = options.costs?.[alias];
      return {
        model_name: alias,
        litellm_params: { model: `openai/${UPSTREAM[alias]}`, api_base: options.upstreamUrl, api_key: "fake-upstream" },
        ...(cost
          ? {
              model_info: {
                input_cost_per_token: cost.inputCostPerToken,
                output_cost_per_token: cost.outputCostPerToken,
              },
            }
          : {}),
      };
    }),
    router_settings: { num_retries: options.numRetries ?? 0, timeout: options.timeoutS ?? 30 },
    // As litellm/config.yaml: a parameter a provider does not take is an error, not silently dropped.
    litellm_settings: { drop_params: false },
    general_settings: { master_key: "os.environ/LITELLM_MASTER_KEY" },
  };
}

/**
 * Pure: the proxy's whole environment. An allowlist, not the test's environment less its secrets: nothing the
 * developer or CI holds (API keys, DATABASE_URL, proxies, LITELLM_* settings) reaches it; only the master key.
 */
export function proxyEnvironment(
  env: Record<string, string | undefined>,
  home: string,
  masterKey: string,
): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const name of ["PATH", "LANG", "LC_ALL", "TZ"]) if (env[name]) kept[name] = env[name]!;
  return {
    ...kept,
    HOME: home,
    LITELLM_MASTER_KEY: masterKey,
    // The bundled price map: otherwise every start tries to download one (and retries for ~10 s offline).
    LITELLM_LOCAL_MODEL_COST_MAP: "True",
    PYTHONUNBUFFERED: "1",
  };
}

/** A port nothing listens on now (the kernel's choice), for the proxy to bind. */
export function freePort(): number {
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const { port } = probe;
  probe.stop(true);
  return port;
}

async function untilReady(url: string, child: Subprocess, timeoutMs: number, output: () => string): Promise<void> {
  const exited = child.exited.then((code) => {
    throw new Error(`litellm exited with code ${code} before it was ready:\n${output().slice(-3000)}`);
  });
  const abort = new AbortController();
  try {
    await Promise.race([waitUntilReady(url, { timeoutMs, intervalMs: 200, signal: abort.signal }), exited]);
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${output().slice(-3000)}`);
  } finally {
    abort.abort();
    exited.catch(() => {});
  }
}

export async function startProxyServer(options: ProxyServerOptions): Promise<ProxyServer> {
  if (!existsSync(LITELLM_BINARY)) {
    throw new Error(
      `no LiteLLM proxy at ${LITELLM_BINARY}: run .ci/run (it installs litellm/requirements.txt into .venv) or set SMOL_CODER_LITELLM`,
    );
  }
  const dir = mkdtempSync(path.join(tmpdir(), "smol-litellm-"));
  const configFile = path.join(dir, "config.yaml");
  const logFile = path.join(dir, "proxy.log");
  await Bun.write(configFile, Bun.YAML.stringify(proxyConfig(options), null, 2));
  const masterKey = `sk-test-master-${crypto.randomUUID()}`;
  const port = freePort();
  const url = `http://127.0.0.1:${port}/v1`;
  const log = openSync(logFile, "a");
  const child = Bun.spawn(
    [LITELLM_BINARY, "--config", configFile, "--host", "127.0.0.1", "--port", String(port), "--num_workers", "1"],
    {
      cwd: dir,
      env: proxyEnvironment(process.env, dir, masterKey),
      stdin: "ignore",
      stdout: log,
      stderr: log,
    },
  );
  closeSync(log); // the child holds its own copy
  const output = () => {
    try {
      return readFileSync(logFile, "utf8");
    } catch {
      return "";
    }
  };
  const stop = async () => {
    child.kill("SIGTERM");
    const exited = await Promise.race([child.exited.then(() => true), Bun.sleep(5_000).then(() => false)]);
    if (!exited) {
      child.kill("SIGKILL");
      await child.exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const ready = untilReady(url, child, options.readyTimeoutMs ?? 90_000, output);
  ready.catch(() => {}); // a caller that never awaits it must not see an unhandled rejection
  if (options.waitForReady !== false) {
    try {
      await ready;
    } catch (error) {
      await stop();
      throw error;
    }
  }
  return { url, masterKey, pid: child.pid, ready, output, stop };
}
