// `bench exercism` end to end: the real CLI, the real sandbox and pytest, on a small track made here, the fake
// model answering each arm (smol-coder's tasks, the field's baseline) by what its prompt asks.
import { describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { startFakeModel, type RecordedRequest } from "./fakeModel.ts";
import { perTestResources, runCli, spawnCli, tempDir } from "./helpers.ts";

const resources = perTestResources();
const STUB = "def add(a, b):\n    pass\n";
const RIGHT = "def add(a, b):\n    return a + b\n";
const WRONG = "def add(a, b):\n    return a - b\n";
const TESTS =
  "import unittest\nfrom adder import add\n\n\nclass AdderTest(unittest.TestCase):\n    def test_add(self):\n        self.assertEqual(add(2, 3), 5)\n";

/** A track with one exercise, laid out as Exercism's: the stub, the tests, .meta/ and .docs/. */
function makeTrack(example = RIGHT): string {
  const root = resources.track(tempDir("smol-exercism-"));
  const dir = path.join(root, "exercises", "practice", "adder");
  mkdirSync(path.join(dir, ".meta"), { recursive: true });
  mkdirSync(path.join(dir, ".docs"), { recursive: true });
  writeFileSync(path.join(dir, "adder.py"), STUB);
  writeFileSync(path.join(dir, "adder_test.py"), TESTS);
  writeFileSync(path.join(dir, ".meta", "example.py"), example);
  writeFileSync(
    path.join(dir, ".meta", "config.json"),
    JSON.stringify({ files: { solution: ["adder.py"], test: ["adder_test.py"], example: [".meta/example.py"] } }),
  );
  writeFileSync(path.join(dir, ".docs", "instructions.md"), "# Instructions\n\nAdd two numbers.\n");
  return root;
}

async function bench(track: string, args: string[]) {
  const out = path.join(track, "out");
  const result = await runCli(
    [
      "bench",
      "exercism",
      "--track",
      "python",
      "--exercises",
      track,
      "--out",
      out,
      "--db",
      path.join(track, "runs.db"),
      ...args,
    ],
    {
      env: resources.fake ? { LITELLM_URL: resources.fake.url } : {},
    },
  );
  const lines = (name: string) =>
    readFileSync(path.join(out, name), "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { result, out, lines, report: () => readFileSync(path.join(out, "report.md"), "utf8") };
}

const isBaseline = (request: RecordedRequest) => request.body.messages[0]?.role === "system";

describe("bench exercism", () => {
  test("--oracle: the example passes the exercise's tests (exit 0); a wrong example fails them (exit 1)", async () => {
    const good = await bench(makeTrack(), ["--oracle"]);
    expect(good.result.exitCode, good.result.stderr).toBe(0);
    expect(good.result.stdout).toContain("oracle: 1/1 pass");
    const bad = await bench(makeTrack(WRONG), ["--oracle"]);
    expect(bad.result.exitCode).toBe(1);
    expect(bad.lines("oracle.jsonl")[0]).toMatchObject({ exercise: "adder", solved: false, status: "failed" });
  }, 60_000);

  test("both arms in one run: smol-coder solves at attempt 1 though its reply also rewrote the tests; the baseline at try 2 after the test output", async () => {
    let baselineTries = 0;
    resources.fake = startFakeModel({
      fallback: {
        "fast-coder": (request) => {
          if (!isBaseline(request))
            return `adder.py\n\`\`\`python\n${RIGHT}\`\`\`\n\nadder_test.py\n\`\`\`python\nassert True\n\`\`\`\n`;
          baselineTries += 1;
          return baselineTries === 1 ? `adder.py\n\`\`\`\n${WRONG}\`\`\`\n` : `adder.py\n\`\`\`\n${RIGHT}\`\`\`\n`;
        },
      },
    });
    const track = makeTrack();
    const debug = path.join(track, "debug");
    const run = await bench(track, [
      "--start-tier",
      "fast",
      "--max-attempts",
      "2",
      "--escalate-after",
      "2",
      "--baseline",
      "fast",
      "--no-spec",
      "--no-checkpoints",
      "--debug",
      debug,
    ]);
    expect(run.result.exitCode, run.result.stderr).toBe(0);
    // --debug keeps both arms' exchanges side by side: smol-coder's attempt, the baseline's two tries.
    const recorded = path.join(debug, "exercism_python_adder");
    expect(readFileSync(path.join(recorded, "attempt-1-fast", "verification.txt"), "utf8")).toStartWith(
      "outcome: passed",
    );
    expect(readFileSync(path.join(recorded, "baseline-fast-try-1", "reply.md"), "utf8")).toContain(WRONG);
    expect(readFileSync(path.join(recorded, "baseline-fast-try-1", "verification.txt"), "utf8")).toStartWith(
      "outcome: verification_failed",
    );
    expect(readFileSync(path.join(recorded, "baseline-fast-try-2", "prompt.md"), "utf8")).toContain(
      "Fix the code in adder.py to resolve the errors.",
    );
    expect(run.lines("results.jsonl")[0]).toMatchObject({
      exercise: "adder",
      solved: true,
      startTier: "fast",
      attempts: [{ tier: "fast", outcome: "passed", ignored: 1 }],
    });
    expect(run.report()).toContain(
      "replies that also wrote files the task does not own (those edits left out, the rest tested): 1",
    );
    const baseline = run.lines("baseline-fast.jsonl")[0]!;
    expect(baseline).toMatchObject({ exercise: "adder", tier: "fast", solved: true });
    expect((baseline.tries as { passed: boolean; wellFormed: boolean }[]).map((t) => [t.wellFormed, t.passed])).toEqual(
      [
        [true, false],
        [true, true],
      ],
    );
    // The second try was shown the first's test output and told the tests are correct.
    const second = resources.fake.requests.filter(isBaseline)[1]!.body.messages;
    expect(second.at(-2)).toMatchObject({ role: "assistant" });
    expect(second.at(-1)!.content).toContain("AssertionError");
    expect(second.at(-1)!.content).toEndWith("Fix the code in adder.py to resolve the errors.");
    // smol-coder's prompt carries the instructions, the owned file under "Files you may change".
    const smolPrompt = resources.fake.requests.find((r) => !isBaseline(r))!.body.messages.at(-1)!.content;
    expect(smolPrompt).toContain("Use the above instructions to modify the supplied files: adder.py");
    expect(smolPrompt).toContain("# Files you may change\n## adder.py\n");
    const events = readFileSync(path.join(run.out, "events.jsonl"), "utf8");
    expect(events).toContain('"event":"patch_files_ignored"');
    expect(readFileSync(path.join(run.out, "workspaces", "smol-coder", "adder", "adder_test.py"), "utf8")).toBe(TESTS);
    expect(run.report()).toContain("| adder | ✓1 ✓ (f) | ✓2 F✓ |");
    expect(run.result.stdout).toContain("smol-coder [fast, fast tier]: try 1: 1/1, try 2: 1/1; well-formed 1/1");
    expect(run.result.stdout).toContain(
      "baseline (Aider's protocol) [fast, fast-coder]: try 1: 0/1, try 2: 1/1; well-formed 2/2",
    );
  }, 90_000);

  test("--resume keeps finished exercises; an --out that holds results is refused without it", async () => {
    resources.fake = startFakeModel({ fallback: { "fast-coder": `adder.py\n\`\`\`python\n${RIGHT}\`\`\`\n` } });
    const track = makeTrack();
    const first = await bench(track, ["--start-tier", "fast", "--max-attempts", "1", "--no-spec"]);
    expect(first.result.exitCode, first.result.stderr).toBe(0);
    const calls = resources.fake.requests.length;
    const again = await bench(track, ["--start-tier", "fast", "--max-attempts", "1", "--no-spec"]);
    expect(again.result.exitCode).toBe(2);
    expect(again.result.stderr).toContain("pass --resume to continue that run, or another --out");
    const resumed = await bench(track, ["--start-tier", "fast", "--max-attempts", "1", "--no-spec", "--resume"]);
    expect(resumed.result.exitCode, resumed.result.stderr).toBe(0);
    expect(resources.fake.requests.length).toBe(calls);
    expect(resumed.lines("results.jsonl")).toHaveLength(1);
  }, 90_000);

  test("smol-coder's tasks go to a daemon that answers; config flags with one answering are refused", async () => {
    resources.fake = startFakeModel({ fallback: { "fast-coder": `adder.py\n\`\`\`python\n${RIGHT}\`\`\`\n` } });
    const track = makeTrack();
    const socket = path.join(track, "run", "daemon.sock");
    const env = {
      LITELLM_URL: resources.fake.url,
      SMOL_CODER_DB: path.join(track, "daemon.db"),
      SMOL_CODER_SOCKET: socket,
    };
    const daemon = spawnCli(["serve", "--socket", socket], { env });
    try {
      await daemon.until((event) => event.event === "daemon_ready");
      const out = path.join(track, "out");
      const refused = await runCli(
        ["bench", "exercism", "--track", "python", "--exercises", track, "--out", out, "--max-attempts", "1"],
        { env },
      );
      expect(refused.exitCode).toBe(2);
      expect(refused.stderr).toContain("--max-attempts: sets this process's config");
      const result = await runCli(
        ["bench", "exercism", "--track", "python", "--exercises", track, "--out", out, "--start-tier", "fast"],
        { env },
      );
      expect(result.exitCode, result.stderr).toBe(0);
      expect(result.stderr).toContain(`the exercises go to the daemon on ${socket}`);
      expect(JSON.parse(readFileSync(path.join(out, "results.jsonl"), "utf8"))).toMatchObject({
        exercise: "adder",
        solved: true,
        startTier: "fast",
        attempts: [{ tier: "fast", outcome: "passed" }],
      });
      expect(daemon.events.filter((event) => event.event === "task_started")).toHaveLength(1);
    } finally {
      process.kill(daemon.pid, "SIGKILL");
      await daemon.finished;
    }
  }, 90_000);

  test("a model server that does not answer: no verdict in either arm (unreachable, redone by --resume), nothing counted", async () => {
    const track = makeTrack();
    const config = path.join(track, "config.json");
    writeFileSync(config, JSON.stringify({ endpoint: { maxRetries: 0, readyTimeoutMs: 0 } }));
    const run = await bench(track, [
      "--config",
      config,
      "--start-tier",
      "fast",
      "--max-attempts",
      "1",
      "--no-spec",
      "--baseline",
      "fast",
    ]);
    expect(run.result.exitCode, run.result.stderr).toBe(0);
    expect(run.lines("results.jsonl")[0]).toMatchObject({ exercise: "adder", status: "unreachable", solved: false });
    expect(run.lines("baseline-fast.jsonl")[0]).toMatchObject({
      exercise: "adder",
      status: "unreachable",
      solved: false,
      tries: [],
    });
    const summary = JSON.parse(readFileSync(path.join(run.out, "summary.json"), "utf8")) as {
      arms: { total: number }[];
    };
    expect(summary.arms.map((arm) => arm.total)).toEqual([0, 0]);
  }, 90_000);

  test("a directory that is not a track: one line naming the fix, exit 2", async () => {
    const empty = resources.track(tempDir("smol-exercism-"));
    const run = await bench(empty, ["--oracle"]);
    expect(run.result.exitCode).toBe(2);
    expect(run.result.stderr).toContain("has no exercises/practice directory");
  }, 30_000);
});
