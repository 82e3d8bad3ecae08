// One executable: `bun build --compile` makes smol-coder a single file that runs from any directory, its
// prompts and grader helpers inside it, its state in the user's data directory and never in the install tree.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { loadDataset } from "../src/humaneval/dataset.ts";
import { startFakeModel, type FakeModel } from "./fakeModel.ts";
import { cleanup, diffReply, ORCHESTRATOR_DIR, SHARED_DATASET, tempDir } from "./helpers.ts";

const VERSION = (JSON.parse(readFileSync(path.join(ORCHESTRATOR_DIR, "package.json"), "utf8")) as { version: string })
  .version;
const P0 = (await loadDataset(SHARED_DATASET))[0]!;
const RIGHT = diffReply("solution.py", P0.prompt, P0.prompt + P0.canonicalSolution);

let binDir: string;
let binary: string;
let elsewhere: string;
let fake: FakeModel | undefined;
const REPO_LOGS = path.join(ORCHESTRATOR_DIR, "..", "logs");
const logsBefore = existsSync(REPO_LOGS) ? readdirSync(REPO_LOGS).sort() : [];

beforeAll(() => {
  binDir = tempDir("smol-bin-");
  binary = path.join(binDir, "smol-coder");
  const build = Bun.spawnSync(
    ["bun", "build", "--compile", path.join(ORCHESTRATOR_DIR, "src", "index.ts"), "--outfile", binary],
    { stdout: "pipe", stderr: "pipe" },
  );
  if (build.exitCode !== 0) throw new Error(`bun build --compile failed: ${build.stderr.toString()}`);
  elsewhere = tempDir("smol-elsewhere-");
});
afterAll(async () => {
  await fake?.stop();
  cleanup(binDir, elsewhere);
});

async function runBinary(args: string[], options: { stdin?: string; env?: Record<string, string> } = {}) {
  // Only what a user's shell would have: no SMOL_CODER_DB, so the defaults are exercised.
  const env = {
    PATH: process.env.PATH ?? "",
    HOME: path.join(elsewhere, "home"),
    XDG_DATA_HOME: path.join(elsewhere, "xdg"),
    ...options.env,
  };
  const child = Bun.spawn([binary, ...args], {
    cwd: elsewhere,
    env,
    stdin: options.stdin === undefined ? "ignore" : new TextEncoder().encode(options.stdin),
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, exitCode] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  return { stdout, stderr, exitCode };
}

describe("the compiled executable, run from another directory", () => {
  test("--version prints package.json's version", async () => {
    const result = await runBinary(["--version"]);
    expect(result).toMatchObject({ exitCode: 0, stdout: `${VERSION}\n` });
  });

  test("list-problems reads a dataset", async () => {
    const result = await runBinary(["list-problems", "--dataset", SHARED_DATASET]);
    expect(result.exitCode).toBe(0);
    const lines = result.stdout.trim().split("\n");
    expect(lines).toHaveLength(164);
    expect(lines[0]).toContain("HumanEval/0");
  });

  test("run grades a HumanEval answer with the embedded grader; logs and run records go to the data directory", async () => {
    fake = startFakeModel({ replies: { "fast-coder": [RIGHT] } });
    const task = JSON.stringify({ kind: "humaneval", problemId: P0.taskId, dataset: SHARED_DATASET });
    const result = await runBinary(["run", "--no-spec"], { stdin: task, env: { LITELLM_URL: fake.url } });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('"event":"task_completed"');
    const data = path.join(elsewhere, "xdg", "smol-coder");
    expect(existsSync(path.join(data, "runs.db"))).toBe(true);
    expect(readdirSync(path.join(data, "logs")).length).toBeGreaterThan(0);
    expect(existsSync(REPO_LOGS) ? readdirSync(REPO_LOGS).sort() : []).toEqual(logsBefore);
  }, 60_000);

  test("bench humaneval runs a problem and writes its report", async () => {
    fake ??= startFakeModel({});
    fake.script("fast-coder", RIGHT);
    const out = path.join(elsewhere, "bench-out");
    const result = await runBinary(
      ["bench", "humaneval", "--dataset", SHARED_DATASET, "--problems", "0", "--no-spec", "--out", out],
      { env: { LITELLM_URL: fake.url } },
    );
    expect(result.exitCode, result.stderr).toBe(0);
    expect(JSON.parse(readFileSync(path.join(out, "summary.json"), "utf8"))).toMatchObject({ total: 1, solved: 1 });
  }, 60_000);
});
