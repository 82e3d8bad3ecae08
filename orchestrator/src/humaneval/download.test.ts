import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  OFFICIAL_COUNT,
  OFFICIAL_SHA256,
  OFFICIAL_URL,
  downloadDataset,
  loadDataset,
  selectProblems,
  type Problem,
} from "./dataset.ts";
import { DatasetInvalid } from "../errors.ts";
import { SHARED_DATASET } from "../../test/helpers.ts";

const SHARED = SHARED_DATASET;
const dir = mkdtempSync(path.join(tmpdir(), "smol-dataset-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let counter = 0;
function tempFile(content: string | Uint8Array, name = "data.jsonl"): string {
  const file = path.join(dir, `${counter++}-${name}`);
  writeFileSync(file, content);
  return file;
}

const line = (fields: Record<string, unknown>) =>
  JSON.stringify({
    task_id: "T/0",
    prompt: "def f():\n",
    entry_point: "f",
    canonical_solution: "    return 1\n",
    test: "def check(c): pass\n",
    ...fields,
  });

async function loadError(file: string): Promise<DatasetInvalid> {
  try {
    await loadDataset(file);
  } catch (error) {
    expect(error).toBeInstanceOf(DatasetInvalid);
    return error as DatasetInvalid;
  }
  throw new Error(`expected DatasetInvalid loading ${file}`);
}

function selectError(problems: Problem[], selection: { problems?: string; limit?: number }): DatasetInvalid {
  try {
    selectProblems(problems, selection);
  } catch (error) {
    expect(error).toBeInstanceOf(DatasetInvalid);
    return error as DatasetInvalid;
  }
  throw new Error(`expected DatasetInvalid selecting ${JSON.stringify(selection)}`);
}

// Downloading the official file: checksum, atomic save, clear failures.
describe("downloadDataset", () => {
  const good = readFileSync(SHARED);
  const corrupt = Buffer.from(good);
  const flipAt = corrupt.length - 100;
  corrupt[flipAt] = corrupt[flipAt]! ^ 0xff;
  let server: ReturnType<typeof Bun.serve>;
  let base: string;

  beforeAll(() => {
    server = Bun.serve({
      port: 0,
      fetch(request) {
        switch (new URL(request.url).pathname) {
          case "/good.gz":
            return new Response(good);
          case "/corrupt.gz":
            return new Response(corrupt);
          case "/not-a-dataset":
            return new Response("hello\n");
          default:
            return new Response("not found", { status: 404 });
        }
      },
    });
    base = `http://127.0.0.1:${server.port}`;
  });
  afterAll(() => server.stop(true));

  async function downloadError(options: Parameters<typeof downloadDataset>[0]): Promise<DatasetInvalid> {
    try {
      await downloadDataset(options);
    } catch (error) {
      expect(error).toBeInstanceOf(DatasetInvalid);
      return error as DatasetInvalid;
    }
    throw new Error("expected DatasetInvalid");
  }

  const freshDir = () => mkdtempSync(path.join(dir, "download-"));

  test("downloads, checks the hash, creates the directory, leaves no temp file", async () => {
    const target = path.join(freshDir(), "nested", "data", "HumanEval.jsonl.gz");
    const result = await downloadDataset({ url: `${base}/good.gz`, dest: target, expectedSha256: OFFICIAL_SHA256 });
    expect(result).toEqual({ path: target, sha256: OFFICIAL_SHA256, problems: OFFICIAL_COUNT, bytes: good.length });
    expect(createHash("sha256").update(readFileSync(target)).digest("hex")).toBe(OFFICIAL_SHA256);
    expect(await loadDataset(target)).toHaveLength(OFFICIAL_COUNT);
    expect(readdirSync(path.dirname(target))).toEqual(["HumanEval.jsonl.gz"]);
  });

  test("without an expected hash it still checks the format", async () => {
    const target = path.join(freshDir(), "x.jsonl.gz");
    const result = await downloadDataset({ url: `${base}/good.gz`, dest: target });
    expect(result.sha256).toBe(OFFICIAL_SHA256);
    const error = await downloadError({ url: `${base}/not-a-dataset`, dest: path.join(freshDir(), "y.jsonl") });
    expect(error.message).toContain("line 1 is not JSON");
  });

  test("corrupt bytes are rejected and dest is not created", async () => {
    const parent = freshDir();
    const target = path.join(parent, "sub", "HumanEval.jsonl.gz");
    const error = await downloadError({ url: `${base}/corrupt.gz`, dest: target, expectedSha256: OFFICIAL_SHA256 });
    expect(error.problem).toContain(`expected ${OFFICIAL_SHA256}`);
    expect(existsSync(target)).toBe(false);
    expect(readdirSync(parent)).toEqual([]);
  });

  test("a failed download leaves an existing good file untouched", async () => {
    const parent = freshDir();
    const target = path.join(parent, "HumanEval.jsonl.gz");
    writeFileSync(target, good);
    await downloadError({ url: `${base}/corrupt.gz`, dest: target, expectedSha256: OFFICIAL_SHA256 });
    await downloadError({ url: `${base}/missing`, dest: target });
    expect(Buffer.compare(readFileSync(target), good)).toBe(0);
    expect(readdirSync(parent)).toEqual(["HumanEval.jsonl.gz"]);
  });

  test("the official URL is checked against the official hash by default", async () => {
    const target = path.join(freshDir(), "HumanEval.jsonl.gz");
    // The injected fetch stands in for GitHub: it serves corrupt bytes for the official URL.
    const requested: string[] = [];
    const error = await downloadError({
      dest: target,
      fetch: (url) => {
        requested.push(url);
        return fetch(`${base}/corrupt.gz`);
      },
    });
    expect(requested).toEqual([OFFICIAL_URL]);
    expect(error.source).toBe(OFFICIAL_URL);
    expect(error.problem).toContain("sha256");
    expect(existsSync(target)).toBe(false);
  });

  test("HTTP 404 is DatasetInvalid naming the status", async () => {
    const target = path.join(freshDir(), "HumanEval.jsonl.gz");
    const error = await downloadError({ url: `${base}/missing`, dest: target });
    expect(error.problem).toContain("HTTP 404");
    expect(error.fix).toBe(`download it by hand from ${base}/missing and pass --dataset PATH`);
    expect(existsSync(target)).toBe(false);
  });

  test("a refused connection says to download by hand", async () => {
    const closed = Bun.serve({ port: 0, fetch: () => new Response("") });
    const url = `http://127.0.0.1:${closed.port}/HumanEval.jsonl.gz`;
    await closed.stop(true);
    const target = path.join(freshDir(), "HumanEval.jsonl.gz");
    const error = await downloadError({ url, dest: target });
    expect(error.problem).toContain("could not be downloaded");
    expect(error.fix).toBe(`download it by hand from ${url} and pass --dataset PATH`);
    expect(existsSync(target)).toBe(false);
  });
});
