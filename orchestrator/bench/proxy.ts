// Benchmark: what the LiteLLM proxy adds to one model call. A real proxy (test/proxyServer.ts) in front of the
// fake model server; the same chat call goes straight to the fake server and through the proxy, interleaved in
// one run, then both ways again with several calls in flight for throughput.
// Run: bun run bench/proxy.ts [--calls N] [--concurrency N] [--json]
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { startFakeModel } from "../test/fakeModel.ts";
import { startProxyServer, UPSTREAM } from "../test/proxyServer.ts";
import { runPool } from "../src/benchmark/pool.ts";

/** A prompt and a reply the size of a small coding task's (a file or two in, a diff out). */
const PROMPT =
  "Implement total() so it sums the prices.\n\n" + "export function total(prices: number[]): number {\n".repeat(80);
const REPLY = "```diff\n" + "+  return prices.reduce((sum, price) => sum + price, 0);\n".repeat(18) + "```\n";
const WARM_UP_CALLS = 20;

type Route = { label: string; url: string; model: string; apiKey: string };
type Latency = { medianMs: number; p90Ms: number; p99Ms: number };

function percentile(values: number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)]!;
}

/** To 0.1: finer than the run's own noise already. */
const tenth = (value: number) => Math.round(value * 10) / 10;

function latency(values: number[]): Latency {
  return {
    medianMs: tenth(percentile(values, 0.5)),
    p90Ms: tenth(percentile(values, 0.9)),
    p99Ms: tenth(percentile(values, 0.99)),
  };
}

/** One chat call; its wall time in ms. Anything but a 200 stops the benchmark. */
async function call(route: Route): Promise<{ ms: number; response: Response }> {
  const started = performance.now();
  const response = await fetch(`${route.url}/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${route.apiKey}`, "content-type": "application/json" },
    body: JSON.stringify({ model: route.model, messages: [{ role: "user", content: PROMPT }], temperature: 0 }),
  });
  const body = await response.text();
  const ms = performance.now() - started;
  if (response.status !== 200) throw new Error(`${route.label}: HTTP ${response.status}: ${body.slice(0, 300)}`);
  return { ms, response };
}

/** Calls per second with `concurrency` calls in flight until `calls` are done. */
async function throughput(route: Route, calls: number, concurrency: number): Promise<number> {
  const started = performance.now();
  await runPool(Array.from({ length: calls }), { concurrency }, async () => void (await call(route)));
  return calls / ((performance.now() - started) / 1000);
}

const fixed = (ms: number) => `${ms.toFixed(1)} ms`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      calls: { type: "string", default: "200" },
      concurrency: { type: "string", default: "4" },
      json: { type: "boolean", default: false },
    },
  });
  const calls = Number(values.calls);
  const concurrency = Number(values.concurrency);
  for (const [flag, value] of [
    ["--calls", calls],
    ["--concurrency", concurrency],
  ] as const) {
    if (!Number.isInteger(value) || value < 1) {
      console.error(
        `${flag} must be a positive integer, not ${flag === "--calls" ? values.calls : values.concurrency}`,
      );
      return 2;
    }
  }
  const upstreamModel = UPSTREAM["fast-coder"];
  const fake = startFakeModel({ fallback: { [upstreamModel]: REPLY } });
  const startedProxy = performance.now();
  const proxy = await startProxyServer({
    upstreamUrl: fake.url,
    numRetries: 2,
    costs: { "fast-coder": { inputCostPerToken: 1e-7, outputCostPerToken: 2e-7 } },
  });
  const proxyStartMs = performance.now() - startedProxy;
  try {
    const direct: Route = {
      label: "direct to the fake server",
      url: fake.url,
      model: upstreamModel,
      apiKey: "fake-upstream",
    };
    const proxied: Route = {
      label: "through the LiteLLM proxy",
      url: proxy.url,
      model: "fast-coder",
      apiKey: proxy.masterKey,
    };
    const version = (await call(proxied)).response.headers.get("x-litellm-version") ?? "unknown";
    for (let i = 0; i < WARM_UP_CALLS; i++) {
      await call(direct);
      await call(proxied);
    }
    const directMs: number[] = [];
    const proxiedMs: number[] = [];
    for (let i = 0; i < calls; i++) {
      directMs.push((await call(direct)).ms);
      proxiedMs.push((await call(proxied)).ms);
    }
    const addedMs = percentile(
      proxiedMs.map((ms, i) => ms - directMs[i]!),
      0.5,
    );
    const directPerSecond = await throughput(direct, calls, concurrency);
    const proxiedPerSecond = await throughput(proxied, calls, concurrency);
    const result = {
      litellmVersion: version,
      proxyStartMs: Math.round(proxyStartMs),
      loadAverage: loadavg()[0]!,
      calls,
      warmUpCalls: WARM_UP_CALLS,
      promptChars: PROMPT.length,
      replyChars: REPLY.length,
      direct: latency(directMs),
      proxied: latency(proxiedMs),
      addedMedianMs: tenth(addedMs),
      concurrency,
      directCallsPerSecond: tenth(directPerSecond),
      proxiedCallsPerSecond: tenth(proxiedPerSecond),
    };
    if (values.json) {
      console.log(JSON.stringify(result, null, 2));
      return 0;
    }
    console.log(
      `LiteLLM ${version} proxy (1 worker, native) in front of the fake model server, all on 127.0.0.1; started in ${(proxyStartMs / 1000).toFixed(1)} s`,
    );
    console.log(
      `prompt ${PROMPT.length} chars, reply ${REPLY.length} chars; load average ${result.loadAverage.toFixed(2)} at the end`,
    );
    console.log(`${calls} sequential calls each way, interleaved, after ${WARM_UP_CALLS} warm-up calls each way\n`);
    console.log("| route | median | p90 | p99 |\n| --- | --- | --- | --- |");
    for (const [label, figures] of [
      [direct.label, result.direct],
      [proxied.label, result.proxied],
    ] as const) {
      console.log(`| ${label} | ${fixed(figures.medianMs)} | ${fixed(figures.p90Ms)} | ${fixed(figures.p99Ms)} |`);
    }
    console.log(`\nadded by the proxy per call (median of the paired differences): ${fixed(addedMs)}`);
    console.log(
      `calls/s with ${concurrency} in flight (${calls} calls): direct ${directPerSecond.toFixed(0)}, through the proxy ${proxiedPerSecond.toFixed(1)}`,
    );
    return 0;
  } finally {
    await proxy.stop();
    await fake.stop();
  }
}

process.exitCode = await main();
