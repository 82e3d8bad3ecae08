// Benchmark: edit formats on real model replies. For each model, each edit format (udiff, search/replace,
// whole-file) and the direct baseline (the maker's prompt), on HumanEval problems and small workspace tasks:
// the share of replies that parse as an edit, that apply, whose result compiles, and that pass. Every reply is
// recorded (--out, JSON lines) for the patch corpus.
// Run: bun run bench/formats.ts --model fast=URL --model deep=URL [--problems 0-19] [--formats udiff,whole] [--out F]
import { appendFileSync, cpSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { Semaphore } from "async-mutex";
import { buildConfig } from "../src/config/config.ts";
import { defaultDatasetPath } from "../src/config/paths.ts";
import { PatchRejected } from "../src/errors.ts";
import { buildMessages } from "../src/guidance/prompt.ts";
import { baselineMessages, baselineSolution } from "../src/humaneval/baseline.ts";
import { loadDataset, selectProblems, type Problem } from "../src/humaneval/dataset.ts";
import { startGrader } from "../src/verify/grader.ts";
import { HUMANEVAL_DESCRIPTION } from "../src/task/prepare.ts";
import { createModelClient } from "../src/models/client.ts";
import { planPatch } from "../src/patch/index.ts";
import { EDIT_FORMATS, type EditFormat } from "../src/patch/types.ts";
import { openSandbox } from "../src/sandbox/sandbox.ts";
import { runJailedCommand } from "../src/verify/commands.ts";
import { createHumanEvalWorkspace } from "../src/task/humaneval.ts";
import type { ChatMessage } from "../src/types.ts";

const { values } = parseArgs({
  options: {
    model: { type: "string", multiple: true, default: [] },
    problems: { type: "string", default: "0-19" },
    formats: { type: "string", default: [...EDIT_FORMATS, "direct"].join(",") },
    workspaces: { type: "boolean", default: true },
    "no-workspaces": { type: "boolean", default: false },
    out: { type: "string", default: path.join(tmpdir(), `smol-formats-${Date.now()}.jsonl`) },
    "max-tokens": { type: "string", default: "768" },
    concurrency: { type: "string", multiple: true, default: [] },
    dataset: { type: "string" },
    /** Re-judge the replies recorded in this file with the current engine, asking no model. */
    rescore: { type: "string" },
  },
});
const recorded = values.rescore
  ? new Map(
      (await Bun.file(values.rescore).text())
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line) as Row)
        .map((row) => [`${row.model}|${row.format}|${row.task}`, row]),
    )
  : null;
const models = (
  recorded ? [...new Set([...recorded.values()].map((row) => `${row.model}=http://recorded`))] : values.model
).map((spec) => {
  const [name, url, alias] =
    spec.split("=")[1] === undefined ? [] : [spec.split("=")[0]!, ...spec.split("=").slice(1).join("=").split("#")];
  if (!name || !url) throw new Error(`--model NAME=URL[#ALIAS], got ${spec}`);
  const concurrency = Number(
    values.concurrency.find((c) => c.startsWith(`${name}=`))?.split("=")[1] ?? (name === "fast" ? 4 : 2),
  );
  return { name, url, alias: alias ?? name, semaphore: new Semaphore(concurrency) };
});
// "whole-plain": whole files asked in the plain layout (patch.layout "plain").
type Variant = EditFormat | "direct" | "whole-plain";
const formats = values.formats.split(",") as Variant[];
const asked = (format: Exclude<Variant, "direct">): EditFormat => (format === "whole-plain" ? "whole" : format);
const layoutOf = (format: Variant) => (format === "whole-plain" ? ("plain" as const) : ("sections" as const));
const config = buildConfig([{}]);
const sandbox = await openSandbox(config.sandbox, { unsafe: false });
await using grader = await startGrader({ sandbox, concurrency: 2 });
const problems = selectProblems(await loadDataset(values.dataset ?? defaultDatasetPath(process.env)), {
  problems: values.problems,
});
const WORKSPACES = path.join(import.meta.dir, "workspaces");
const workspaceTasks = values.workspaces && !values["no-workspaces"] ? readdirSync(WORKSPACES).sort() : [];
const scratch = mkdtempSync(path.join(tmpdir(), "smol-formats-"));

type Row = {
  model: string;
  format: string;
  task: string;
  reply: string;
  parsed: boolean;
  applied: boolean;
  compiles: boolean;
  passed: boolean;
  reason: string | null;
  tokensOut: number;
  ms: number;
};

async function ask(model: (typeof models)[number], messages: ChatMessage[], key: string) {
  const row = recorded?.get(`${model.name}|${key}`);
  if (recorded) return row ? { text: row.reply, tokensOut: row.tokensOut } : null;
  const client = createModelClient({
    url: model.url,
    apiKey: "no-key",
    timeoutMs: 600_000,
    maxRetries: 0,
    retryBaseMs: 0,
    retryMaxMs: 0,
  });
  return model.semaphore.runExclusive(() =>
    client.complete({ model: model.alias, messages, maxTokens: Number(values["max-tokens"]) }),
  );
}

function compiles(file: string, text: string): boolean {
  if (!file.endsWith(".py")) return true;
  const result = Bun.spawnSync(["python3", "-c", "import ast, sys; ast.parse(sys.stdin.read())"], {
    stdin: new TextEncoder().encode(text),
  });
  return result.exitCode === 0;
}

function outcome(
  reply: string,
  files: Map<string, string | null>,
  asked: EditFormat,
): Pick<Row, "parsed" | "applied" | "reason"> & { after: Map<string, string | null> } {
  try {
    const plan = planPatch({
      reply,
      files,
      maxChangedLines: config.patch.maxChangedLines,
      smallFileBytes: config.patch.smallFileBytes,
      asked,
    });
    const after = new Map(files);
    for (const change of plan.changes) after.set(change.path, change.content);
    return { parsed: true, applied: true, reason: null, after };
  } catch (error) {
    if (!(error instanceof PatchRejected)) throw error;
    // Parsed: the engine found an edit in it (then refused to apply it, with a reason), or it found none.
    return { parsed: !error.message.startsWith("no edit found"), applied: false, reason: error.message, after: files };
  }
}

async function humanEval(model: (typeof models)[number], format: Variant, problem: Problem): Promise<Row | null> {
  const files = new Map<string, string | null>([["solution.py", problem.prompt]]);
  const messages =
    format === "direct"
      ? baselineMessages(problem.prompt)
      : buildMessages({
          description: HUMANEVAL_DESCRIPTION,
          files,
          verify: [`pytest: the problem's tests of ${problem.entryPoint}`],
          feedback: [],
          format: asked(format),
          layout: layoutOf(format),
        });
  const started = performance.now();
  const completion = await ask(model, messages, `${format}|${problem.taskId}`);
  if (!completion) return null;
  const reply = completion.text;
  const result =
    format === "direct"
      ? {
          parsed: true,
          applied: true,
          reason: null,
          after: new Map([["solution.py", baselineSolution(reply, problem.prompt, problem.entryPoint)]]),
        }
      : outcome(reply, files, asked(format));
  const solution = result.after.get("solution.py") ?? "";
  let passed = false;
  if (result.applied) {
    const ws = await createHumanEvalWorkspace(problem, path.join(scratch, `${model.name}-${format}`));
    await Bun.write(path.join(ws.root, "solution.py"), solution);
    passed = (await grader.grade({ workspace: ws.root, testFile: ws.testFile, expectedTests: 1, timeoutMs: 10_000 }))
      .passed;
  }
  return {
    model: model.name,
    format,
    task: problem.taskId,
    reply,
    ...strip(result),
    compiles: result.applied && compiles("solution.py", solution),
    passed,
    tokensOut: completion.tokensOut,
    ms: Math.round(performance.now() - started),
  };
}

async function workspace(
  model: (typeof models)[number],
  format: Exclude<Variant, "direct">,
  name: string,
): Promise<Row | null> {
  const source = path.join(WORKSPACES, name);
  const task = JSON.parse(readFileSync(path.join(source, "task.json"), "utf8")) as {
    description: string;
    filesOwned: string[];
  };
  const files = new Map<string, string | null>(
    task.filesOwned.map((file) => [file, readFileSync(path.join(source, file), "utf8")]),
  );
  const messages = buildMessages({
    description: task.description,
    files,
    verify: ["pytest -q"],
    feedback: [],
    format: asked(format),
    layout: layoutOf(format),
  });
  const started = performance.now();
  const completion = await ask(model, messages, `${format}|workspace/${name}`);
  if (!completion) return null;
  const result = outcome(completion.text, files, asked(format));
  let passed = false;
  let compiled = false;
  if (result.applied) {
    const dir = mkdtempSync(path.join(scratch, `${name}-`));
    cpSync(source, dir, { recursive: true });
    for (const [file, content] of result.after) if (content !== null) await Bun.write(path.join(dir, file), content);
    compiled = [...result.after].every(([file, content]) => content === null || compiles(file, content));
    passed =
      (await runJailedCommand("python3 -m pytest -q -p no:cacheprovider", { cwd: dir, timeoutMs: 30_000, sandbox }))
        .exitCode === 0;
  }
  return {
    model: model.name,
    format,
    task: `workspace/${name}`,
    reply: completion.text,
    ...strip(result),
    compiles: compiled,
    passed,
    tokensOut: completion.tokensOut,
    ms: Math.round(performance.now() - started),
  };
}

function strip<T extends { after: unknown }>(value: T): Omit<T, "after"> {
  const { after: _after, ...rest } = value;
  return rest;
}

const jobs: Promise<void>[] = [];
const rows: Row[] = [];
for (const model of models) {
  for (const format of formats) {
    const work = [
      ...problems.map((problem) => () => humanEval(model, format, problem)),
      ...(format === "direct" ? [] : workspaceTasks.map((name) => () => workspace(model, format, name))),
    ];
    for (const run of work) {
      jobs.push(
        run().then((row) => {
          if (!row) return;
          rows.push(row);
          if (!recorded) appendFileSync(values.out, `${JSON.stringify(row)}\n`);
          process.stderr.write(
            `${row.model} ${row.format} ${row.task}: ${row.passed ? "pass" : row.applied ? "applied, fails" : `refused: ${row.reason?.slice(0, 80)}`} (${row.ms} ms)\n`,
          );
        }),
      );
    }
  }
}
await Promise.all(jobs);
console.log(
  recorded ? `replies from ${values.rescore}, judged by this checkout's patch engine\n` : `replies in ${values.out}\n`,
);
console.log(formatTable(rows));
if (values.rescore)
  for (const row of rows.sort((a, b) => `${a.format}${a.task}`.localeCompare(`${b.format}${b.task}`)))
    console.error(
      `${row.model} ${row.format} ${row.task}: ${row.passed ? "pass" : row.applied ? "applied, fails" : `refused: ${row.reason?.split("\n")[0]}`}`,
    );

export function formatTable(all: Row[]): string {
  const lines = [
    "| model | format | tasks | parse | apply | compiles | pass |",
    "| --- | --- | --- | --- | --- | --- | --- |",
  ];
  const keys = [
    ...new Set(
      all.map((row) => `${row.model}\t${row.format}\t${row.task.startsWith("workspace/") ? "workspace" : "humaneval"}`),
    ),
  ].sort();
  for (const key of keys) {
    const [model, format, kind] = key.split("\t");
    const group = all.filter(
      (row) =>
        row.model === model &&
        row.format === format &&
        (row.task.startsWith("workspace/") ? "workspace" : "humaneval") === kind,
    );
    const share = (pick: (row: Row) => boolean) => `${group.filter(pick).length}/${group.length}`;
    lines.push(
      `| ${model} | ${format} | ${kind} | ${share((r) => r.parsed)} | ${share((r) => r.applied)} | ${share((r) => r.compiles)} | ${share((r) => r.passed)} |`,
    );
  }
  return lines.join("\n");
}
