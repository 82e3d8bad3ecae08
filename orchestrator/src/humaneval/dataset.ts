// HumanEval-format datasets: load (plain or gzipped JSONL), select problems, download the official copy.
// Parsing is pure (bytes in, problems out); reading, fetching and writing files sit in thin wrappers.
import { createHash, randomBytes } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { z } from "zod";
import { DatasetInvalid, TaskInvalid } from "../errors.ts";

export const OFFICIAL_URL = "https://github.com/openai/human-eval/raw/master/data/HumanEval.jsonl.gz";
export const OFFICIAL_SHA256 = "b796127e635a67f93fb35c04f4cb03cf06f38c8072ee7cee8833d7bee06979ef";
export const OFFICIAL_COUNT = 164;

const PYTHON_KEYWORDS = new Set(
  "False None True and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield".split(
    " ",
  ),
);
// Python 3 identifiers: a letter or underscore, then letters, digits or underscores (Unicode included).
const PYTHON_IDENTIFIER = /^[\p{XID_Start}_]\p{XID_Continue}*$/u;

const text = () => z.string({ error: "must be a string" });

/** One JSONL line as openai/human-eval writes it. Lenient: unknown keys are dropped. */
export const ProblemLine = z.object({
  task_id: text().min(1, "must not be empty").describe("Unique id, e.g. HumanEval/0"),
  prompt: text().min(1, "must not be empty").describe("Signature and docstring the model completes"),
  entry_point: text()
    .refine((name) => PYTHON_IDENTIFIER.test(name) && !PYTHON_KEYWORDS.has(name), "must be a Python identifier")
    .describe("Name of the function under test"),
  canonical_solution: text().describe("Reference body; may be empty"),
  test: text().min(1, "must not be empty").describe("Python source defining check(candidate)"),
});
export type ProblemLine = z.infer<typeof ProblemLine>;

export type Problem = {
  taskId: string;
  prompt: string;
  entryPoint: string;
  canonicalSolution: string;
  test: string;
};

const FORMAT_FIX =
  "each non-blank line must be a JSON object with task_id, prompt, entry_point, canonical_solution and test; run `smol-coder dataset download` for the official file";
const MISSING_FIX = "pass --dataset PATH or run `smol-coder dataset download`";

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

function describeValue(value: unknown): string {
  const json = JSON.stringify(value) ?? String(value);
  return json.length > 40 ? `${json.slice(0, 37)}...` : json;
}

/** Pure: one parsed JSON value to a Problem, or DatasetInvalid naming the line and field. */
function toProblem(raw: unknown, lineNumber: number, source: string): Problem {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new DatasetInvalid(source, `line ${lineNumber} is not a JSON object`, FORMAT_FIX);
  }
  const parsed = ProblemLine.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = String(issue.path[0]);
    const value = (raw as Record<string, unknown>)[field];
    const problem = value === undefined ? "is missing" : `${issue.message} (got ${describeValue(value)})`;
    throw new DatasetInvalid(source, `line ${lineNumber}: field "${field}" ${problem}`, FORMAT_FIX);
  }
  const line = parsed.data;
  return {
    taskId: line.task_id,
    prompt: line.prompt,
    entryPoint: line.entry_point,
    canonicalSolution: line.canonical_solution,
    test: line.test,
  };
}

/** Pure: dataset bytes (gzip detected by its magic bytes, not the file name) to problems. */
export function parseDataset(bytes: Uint8Array, source: string): Problem[] {
  let content = bytes;
  if (isGzip(bytes)) {
    try {
      content = gunzipSync(bytes);
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      throw new DatasetInvalid(
        source,
        `starts like gzip but does not decompress (${detail})`,
        `${MISSING_FIX} to get an intact copy`,
      );
    }
  }
  const lines = new TextDecoder().decode(content).split(/\r?\n/);
  const problems: Problem[] = [];
  const firstLineOf = new Map<string, number>();
  for (const [index, line] of lines.entries()) {
    if (line.trim() === "") continue;
    const lineNumber = index + 1;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      throw new DatasetInvalid(source, `line ${lineNumber} is not JSON (${detail})`, FORMAT_FIX);
    }
    const problem = toProblem(raw, lineNumber, source);
    const earlier = firstLineOf.get(problem.taskId);
    if (earlier !== undefined) {
      throw new DatasetInvalid(
        source,
        `line ${lineNumber}: duplicate task_id "${problem.taskId}" (first on line ${earlier})`,
        "give every problem its own task_id",
      );
    }
    firstLineOf.set(problem.taskId, lineNumber);
    problems.push(problem);
  }
  if (problems.length === 0) throw new DatasetInvalid(source, "has no problems", MISSING_FIX);
  return problems;
}

/** Reads a HumanEval-format dataset, plain or gzipped JSONL. */
export async function loadDataset(file: string): Promise<Problem[]> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const problem = code === "ENOENT" ? "does not exist" : `cannot be read (${code ?? String(error)})`;
    throw new DatasetInvalid(file, problem, MISSING_FIX);
  }
  return parseDataset(bytes, file);
}

/**
 * Pure: the dataset indexes a --problems spec selects. Parts are separated by commas; each is an index
 * ("3"), an inclusive range ("0-9"), or a task_id ("HumanEval/7"). Numbers are read as indexes first.
 */
export function parseProblemSelection(spec: string, taskIds: readonly string[]): ReadonlySet<number> {
  const last = taskIds.length - 1;
  const valid = last >= 0 ? `0-${last}` : "none (the dataset is empty)";
  const example = taskIds[Math.min(7, last)] ?? "HumanEval/7";
  const fix = `use indexes in ${valid}, ranges like 0-9, or task ids like ${example}, separated by commas`;
  const fail = (problem: string) => new DatasetInvalid("--problems", problem, fix);
  if (spec.trim() === "") throw fail("is empty");

  const selected = new Set<number>();
  for (const rawPart of spec.split(",")) {
    const part = rawPart.trim();
    if (part === "") throw fail(`"${spec}" has an empty part`);
    const range = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (range) {
      const start = Number(range[1]);
      const end = range[2] === undefined ? start : Number(range[2]);
      if (end < start) throw fail(`range "${part}" is reversed; write ${end}-${start}`);
      if (end > last) throw fail(`"${part}" is past the end; valid indexes are ${valid}`);
      for (let index = start; index <= end; index++) selected.add(index);
      continue;
    }
    const index = taskIds.indexOf(part);
    if (index < 0) throw fail(`"${part}" is neither an index, a range like 0-9, nor a task_id in the dataset`);
    selected.add(index);
  }
  return selected;
}

export type Selection = {
  /** --problems spec; all problems when absent. */
  problems?: string;
  /** Keep only the first N selected problems. */
  limit?: number;
};

/** Pure: applies --problems, then --limit. Dataset order is kept whatever order the spec lists. */
export function selectProblems(problems: readonly Problem[], selection: Selection): Problem[] {
  const { limit } = selection;
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
    throw new DatasetInvalid(
      "--limit",
      `${limit} is not a whole number of at least 1`,
      "pass --limit N with N >= 1, or leave it out",
    );
  }
  let chosen = [...problems];
  if (selection.problems !== undefined) {
    const indexes = parseProblemSelection(
      selection.problems,
      problems.map((problem) => problem.taskId),
    );
    chosen = chosen.filter((_, index) => indexes.has(index));
  }
  return limit === undefined ? chosen : chosen.slice(0, limit);
}

export type ProblemRow = { index: number; taskId: string; entryPoint: string; promptLines: number };

/** Pure: one row per problem, for `list-problems`. */
export function describeProblems(problems: readonly Problem[]): ProblemRow[] {
  return problems.map((problem, index) => ({
    index,
    taskId: problem.taskId,
    entryPoint: problem.entryPoint,
    // A prompt ends with a newline; that newline does not start another line.
    promptLines: problem.prompt.replace(/\n$/, "").split("\n").length,
  }));
}

/** Just the part of fetch a download needs, so tests can hand in their own. */
export type Fetch = (url: string) => Promise<Response>;

export type DownloadOptions = {
  /** Defaults to OFFICIAL_URL. */
  url?: string;
  dest: string;
  /** Defaults to OFFICIAL_SHA256 for OFFICIAL_URL, no check otherwise; null turns the check off. */
  expectedSha256?: string | null;
  fetch?: Fetch;
};

export type DownloadResult = { path: string; sha256: string; problems: number; bytes: number };

async function fetchBytes(url: string, fetchUrl: Fetch): Promise<Uint8Array> {
  const fix = `download it by hand from ${url} and pass --dataset PATH`;
  let response: Response;
  try {
    response = await fetchUrl(url);
  } catch (error) {
    throw new DatasetInvalid(
      url,
      `could not be downloaded (${error instanceof Error ? error.message : String(error)})`,
      fix,
    );
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => {});
    throw new DatasetInvalid(url, `answered HTTP ${response.status} ${response.statusText}`.trimEnd(), fix);
  }
  try {
    return new Uint8Array(await response.arrayBuffer());
  } catch (error) {
    throw new DatasetInvalid(
      url,
      `download broke off (${error instanceof Error ? error.message : String(error)})`,
      fix,
    );
  }
}

/** Writes through a temp file in the same directory, so dest is either the old file or the whole new one. */
async function writeAtomically(dest: string, bytes: Uint8Array): Promise<void> {
  await mkdir(path.dirname(dest), { recursive: true });
  const temp = path.join(path.dirname(dest), `.${path.basename(dest)}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    await writeFile(temp, bytes);
    await rename(temp, dest);
  } finally {
    await rm(temp, { force: true });
  }
}

/** Fetches a dataset, checks its hash and format, and only then writes it to dest. */
export async function downloadDataset(options: DownloadOptions): Promise<DownloadResult> {
  const url = options.url ?? OFFICIAL_URL;
  const expected =
    options.expectedSha256 === undefined ? (url === OFFICIAL_URL ? OFFICIAL_SHA256 : null) : options.expectedSha256;
  const bytes = await fetchBytes(url, options.fetch ?? ((target) => fetch(target)));
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  if (expected !== null && sha256 !== expected.toLowerCase()) {
    throw new DatasetInvalid(
      url,
      `sha256 is ${sha256}, expected ${expected}`,
      `retry; if it persists, download it by hand from ${url}, check it, and pass --dataset PATH`,
    );
  }
  const problems = parseDataset(bytes, url);
  const dest = path.resolve(options.dest);
  await writeAtomically(dest, bytes);
  return { path: dest, sha256, problems: problems.length, bytes: bytes.length };
}

/** Pure: the problem a task names, from the problems of `file`; TaskInvalid naming the file when it is not there. */
export function problemIn(problems: readonly Problem[], problemId: string, file: string): Problem {
  const problem = problems.find((p) => p.taskId === problemId);
  if (!problem)
    throw new TaskInvalid("problemId", `${problemId} is not in ${file}`, "see smol-coder list-problems for the ids");
  return problem;
}
