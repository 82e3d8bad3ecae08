// Benchmark: the local stack's real models (Qwen2.5-Coder 0.5B and 1.5B). Prompt processing and generation speed in
// tokens per second, straight to each llama.cpp server and through the stack's LiteLLM proxy, interleaved in one run.
// The servers run one at a time here; with both busy at once each has its share of the cores (see stack/models.ts).
// Needs the stack up on the llama backend: smol-coder stack up --backend llama
// Run: bun run bench/model.ts [--runs N] [--max-tokens N] [--json]
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { REPO_ROOT } from "../src/config/paths.ts";
import { LOCAL_MODELS } from "../src/stack/models.ts";
import { PidRecord, stackPaths } from "../src/stack/stack.ts";

/** About 1,000 tokens: the size of a small task's prompt (a file and its instructions). */
const PROMPT = `Complete the Python module below.\n\n${'def step(state: dict, key: str, value: int) -> dict:\n    """Return a copy of state with key set to value."""\n    out = dict(state)\n    out[key] = value\n    return out\n\n'.repeat(18)}def total(prices):\n`;

type Route = { label: string; url: string; model: string; apiKey: string };
type Sample = { promptTokens: number; completionTokens: number; wallMs: number };

function record(file: string): PidRecord {
  try {
    return PidRecord.parse(JSON.parse(readFileSync(file, "utf8")));
  } catch {
    throw new Error(`no running stack (${file}): run smol-coder stack up --backend llama first`);
  }
}

/** One completion; the server's own token counts and the wall time. */
async function call(route: Route, maxTokens: number, prompt: string): Promise<Sample> {
  const started = performance.now();
  const response = await fetch(`${route.url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${route.apiKey}`, "content-type": "application/json" },
    body: JSON.stringify({
      model: route.model,
      messages: [{ role: "user", content: prompt }],
      temperature: 0,
      max_tokens: maxTokens,
    }),
  });
  const body = (await response.json()) as { usage?: { prompt_tokens: number; completion_tokens: number } };
  const wallMs = performance.now() - started;
  if (!response.ok || !body.usage)
    throw new Error(`${route.label}: HTTP ${response.status}: ${JSON.stringify(body).slice(0, 300)}`);
  return { promptTokens: body.usage.prompt_tokens, completionTokens: body.usage.completion_tokens, wallMs };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const round = (value: number) => Math.round(value * 10) / 10;

/**
 * Two calls per run on one fresh prompt (a new first line each run, so nothing is cached from before): the first
 * generates a single token, so its wall time is prompt processing; the second sends the same prompt, which
 * llama.cpp finds already evaluated (prefix cache), so its wall time is generation.
 */
async function measureOnce(route: Route, maxTokens: number, run: number) {
  const text = `# run ${run} (${route.label})\n${PROMPT}`;
  const first = await call(route, 1, text);
  const second = await call(route, maxTokens, text);
  return {
    first,
    second,
    promptPerSecond: first.promptTokens / (first.wallMs / 1000),
    generatePerSecond: second.completionTokens / (second.wallMs / 1000),
  };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      runs: { type: "string", default: "5" },
      "max-tokens": { type: "string", default: "128" },
      json: { type: "boolean", default: false },
    },
  });
  const runs = Number(values.runs);
  const maxTokens = Number(values["max-tokens"]);
  const paths = stackPaths(REPO_ROOT);
  const proxy = record(paths.pidFiles.proxy);
  if (proxy.backend !== "llama")
    throw new Error(
      "the stack runs on Ollama; this measures the llama.cpp backend (smol-coder stack up --backend llama)",
    );
  const key = readFileSync(paths.masterKey, "utf8").trim();
  const routes: Route[] = [];
  for (const [role, alias] of [
    ["fast", "fast-coder"],
    ["deep", "deep-coder"],
  ] as const) {
    const model = record(paths.pidFiles[role]);
    routes.push({
      label: `${LOCAL_MODELS[role].title}: straight to llama.cpp`,
      url: `http://127.0.0.1:${model.port}`,
      model: LOCAL_MODELS[role].alias,
      apiKey: "no-key",
    });
    routes.push({
      label: `${LOCAL_MODELS[role].title}: through the LiteLLM proxy (${alias})`,
      url: `http://127.0.0.1:${proxy.port}`,
      model: alias,
      apiKey: key,
    });
  }
  for (const route of routes) await call(route, 4, PROMPT); // load and warm up
  // Routes interleaved run by run, so a slow moment of the machine falls on all of them.
  const samples = new Map<Route, Awaited<ReturnType<typeof measureOnce>>[]>(routes.map((route) => [route, []]));
  for (let run = 0; run < runs; run++)
    for (const route of routes) samples.get(route)!.push(await measureOnce(route, maxTokens, run));
  const results = [...samples].map(([route, list]) => ({
    route: route.label,
    promptTokens: list[0]!.first.promptTokens,
    completionTokens: list[0]!.second.completionTokens,
    promptPerSecond: round(median(list.map((sample) => sample.promptPerSecond))),
    generatePerSecond: round(median(list.map((sample) => sample.generatePerSecond))),
  }));
  const report = {
    model: "Qwen2.5-Coder 0.5B and 1.5B Instruct Q4_K_M (xllamacpp)",
    runs,
    maxTokens,
    loadAverage: round(loadavg()[0]!),
    results,
  };
  if (values.json) {
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return 0;
  }
  const lines = [
    `${report.model}, ${runs} runs per route, up to ${maxTokens} tokens per reply; load average ${report.loadAverage}`,
    "",
    "| route | prompt tokens | prompt tokens/s | generated tokens | generated tokens/s |",
    "| --- | --- | --- | --- | --- |",
    ...results.map(
      (r) =>
        `| ${r.route} | ${r.promptTokens} | ${r.promptPerSecond} | ${r.completionTokens} | ${r.generatePerSecond} |`,
    ),
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
  return 0;
}

if (import.meta.main) {
  try {
    process.exitCode = await main();
  } catch (error) {
    process.stderr.write(`bench/model.ts: ${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}
