// Daemon tasks beside each other: private views of one workspace, landings checked against what is there, and
// the clients that hand the daemon many tasks at once (tasks/batch.sh, bench humaneval).
import { describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { startFakeModel, type RecordedRequest } from "./fakeModel.ts";
import { diffReply, runCli, SHARED_DATASET, tempDir } from "./helpers.ts";
import { loadDataset } from "../src/humaneval/dataset.ts";
import {
  AVERAGE_TASK,
  AVG,
  AVG_RIGHT,
  client,
  daemonTestKit,
  MATH,
  MATH_RIGHT,
  reply,
  TOTAL_TASK,
} from "./daemonHelpers.ts";

const { resources, workspace, daemonEnv, startDaemon } = daemonTestKit();

describe("the daemon, many tasks at once", () => {
  test("tasks/batch.sh -j 2 runs two workspace tasks on one workspace through the daemon: both land", async () => {
    resources.fake = startFakeModel({ fallback: { "fast-coder": reply("fast"), "deep-coder": reply("deep") } });
    const { socket, env } = daemonEnv();
    const daemon = await startDaemon(socket, env);
    const shared = workspace();
    const dir = path.dirname(env.SMOL_CODER_DB!);
    const files = [TOTAL_TASK, AVERAGE_TASK].map((task, i) => {
      const file = path.join(dir, `task${i}.json`);
      writeFileSync(file, JSON.stringify(task));
      return file;
    });
    const batch = Bun.spawn(
      [
        "bash",
        path.join(import.meta.dir, "..", "..", "tasks", "batch.sh"),
        "-j",
        "2",
        "--workspace",
        shared,
        "--out",
        path.join(dir, "out"),
        ...files,
      ],
      {
        env: { ...process.env, ...env, SMOL_CODER_SOCKET: socket },
        stdout: "pipe",
        stderr: "pipe",
      },
    );
    const [stdout, stderr, code] = await Promise.all([
      new Response(batch.stdout).text(),
      new Response(batch.stderr).text(),
      batch.exited,
    ]);
    expect(code, stderr).toBe(0);
    expect(stdout).toContain("batch: 2 tasks, 2 passed, 0 failed");
    expect(daemon.events.filter((event) => event.event === "task_started")).toHaveLength(2);
    expect(readFileSync(path.join(shared, MATH), "utf8")).toBe(MATH_RIGHT);
    expect(readFileSync(path.join(shared, AVG), "utf8")).toBe(AVG_RIGHT);
  }, 90_000);

  describe("each task edits a private view of its workspace", () => {
    /** A workspace of two files; verify: the owned file says "final" (after a pause, with `slow`). */
    function twoFiles(): string {
      const dir = resources.track(tempDir("smol-views-"));
      writeFileSync(path.join(dir, "a.txt"), "start\n");
      writeFileSync(path.join(dir, "b.txt"), "start\n");
      return dir;
    }
    const task = (file: string, verify: string) =>
      JSON.stringify({ description: `make ${file} final`, filesOwned: [file], verify: [verify], maxAttempts: 1 });
    const finalReply = (file: string) => diffReply(file, "start\n", "final\n");

    test("two tasks on disjoint files of one workspace run at once, each verified without the other's edit", async () => {
      // No reply until both tasks have asked: both are running before either can land, however slow the machine.
      const asked = new Set<string>();
      let bothAsked: () => void = () => {};
      const both = new Promise<void>((resolve) => (bothAsked = resolve));
      resources.fake = startFakeModel({
        fallback: {
          "fast-coder": async (request) => {
            const file = request.body.messages.some((m) => m.content.includes("make a.txt")) ? "a.txt" : "b.txt";
            asked.add(file);
            if (asked.size === 2) bothAsked();
            await both;
            return { reply: finalReply(file) };
          },
        },
      });
      const { socket, env } = daemonEnv();
      const daemon = await startDaemon(socket, env);
      const dir = twoFiles();
      // Each check also wants the other file as the workspace has it: an edit that leaked into the other's view fails it.
      const a = (
        await client(
          ["submit", "--workspace", dir, "--priority", "1"],
          socket,
          env,
          task("a.txt", "sleep 1; grep -qx final a.txt && grep -qx start b.txt"),
        )
      ).stdout.trim();
      const b = (
        await client(
          ["submit", "--workspace", dir],
          socket,
          env,
          task("b.txt", "sleep 1; grep -qx final b.txt && grep -qx start a.txt"),
        )
      ).stdout.trim();
      const codes = [
        (await client(["wait", a], socket, env)).exitCode,
        (await client(["wait", b], socket, env)).exitCode,
      ];
      const names = daemon.events.map((event) => `${event.event}`);
      // Both started before either landed: they ran together, and the first to land had passed its check, which the
      // other's edit in the same files would have failed.
      expect(names.lastIndexOf("task_started")).toBeLessThan(names.indexOf("change_landed"));
      expect(names.filter((name) => name === "change_landed")).toHaveLength(1);
      // The other then fails: its verification, or its check again at landing, sees the landed change (one attempt each).
      expect(codes.sort()).toEqual([0, 1]);
      expect(
        [readFileSync(path.join(dir, "a.txt"), "utf8"), readFileSync(path.join(dir, "b.txt"), "utf8")].sort(),
      ).toEqual(["final\n", "start\n"]);
    }, 90_000);

    test("the user edits an owned file while the task verifies: conflict (exit 5), the user's edit kept, the verified diff shown", async () => {
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      resources.fake = startFakeModel({
        fallback: {
          "fast-coder": async () => {
            await held;
            return finalReply("a.txt");
          },
        },
      });
      const { socket, env } = daemonEnv();
      const daemon = await startDaemon(socket, env);
      const dir = twoFiles();
      const id = (
        await client(["submit", "--workspace", dir], socket, env, task("a.txt", "grep -qx final a.txt"))
      ).stdout.trim();
      await daemon.until((event) => event.event === "model_call_started" && event.tier === "fast");
      writeFileSync(path.join(dir, "a.txt"), "the user's own\n");
      release();
      const waited = await client(["wait", id], socket, env);
      expect(waited.exitCode).toBe(5);
      expect(waited.stderr).toContain("conflict after 1 attempt(s)");
      expect(waited.stderr).toContain("a.txt changed in the workspace since the task started");
      expect(waited.stderr).toContain("+final");
      expect(readFileSync(path.join(dir, "a.txt"), "utf8")).toBe("the user's own\n");
      const status = await client(["status", id], socket, env);
      expect(status.stdout).toContain("+final");
    }, 60_000);

    test("the workspace changes elsewhere while a task verifies: the change is checked again on the new state, then lands", async () => {
      resources.fake = startFakeModel({ fallback: { "fast-coder": finalReply("a.txt") } });
      const { socket, env } = daemonEnv();
      const daemon = await startDaemon(socket, env);
      const dir = twoFiles();
      // The first verification takes long enough for the user's edit below to come while it runs.
      const id = (
        await client(["submit", "--workspace", dir], socket, env, task("a.txt", "sleep 2; grep -qx final a.txt"))
      ).stdout.trim();
      await daemon.until((event) => event.event === "verification_started");
      writeFileSync(path.join(dir, "b.txt"), "edited by the user\n");
      expect((await client(["wait", id], socket, env)).exitCode).toBe(0);
      expect(daemon.events.find((event) => event.event === "change_landed")).toMatchObject({ rechecked: true });
      expect(readFileSync(path.join(dir, "a.txt"), "utf8")).toBe("final\n");
      expect(readFileSync(path.join(dir, "b.txt"), "utf8")).toBe("edited by the user\n");
    }, 60_000);
  });

  test("bench humaneval sends its problems to a daemon that answers: graded there, the same results and summary", async () => {
    const problems = (await loadDataset(SHARED_DATASET)).slice(0, 4);
    const problemOf = (request: RecordedRequest) =>
      problems
        .filter((p) => request.body.messages.some((m) => m.content.includes(p.prompt.trim())))
        .sort((a, b) => b.prompt.length - a.prompt.length)[0]!;
    const answer = (right: boolean) => (request: RecordedRequest) => {
      const p = problemOf(request);
      return diffReply("solution.py", p.prompt, p.prompt + (right ? p.canonicalSolution : "    return None\n"));
    };
    // Even-numbered problems are right at once; the others only once deep answers.
    resources.fake = startFakeModel({
      fallback: {
        "fast-coder": (request) => answer(problems.indexOf(problemOf(request)) % 2 === 0)(request),
        "deep-coder": answer(true),
      },
    });
    const { socket, env } = daemonEnv();
    const daemon = await startDaemon(socket, env);
    const out = path.join(path.dirname(env.SMOL_CODER_DB!), "bench");
    const result = await runCli(
      ["bench", "humaneval", "--dataset", SHARED_DATASET, "--problems", "0-3", "--out", out],
      { env: { ...env, SMOL_CODER_SOCKET: socket } },
    );
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain(`the problems go to the daemon on ${socket}`);
    const lines = readFileSync(path.join(out, "results.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map(
        (line) =>
          JSON.parse(line) as { taskId: string; status: string; passedFirstAttempt: boolean; finalTier: string },
      );
    expect(lines.map((line) => [line.taskId, line.status, line.passedFirstAttempt, line.finalTier]).sort()).toEqual([
      ["HumanEval/0", "complete", true, "fast"],
      ["HumanEval/1", "complete", false, "deep"],
      ["HumanEval/2", "complete", true, "fast"],
      ["HumanEval/3", "complete", false, "deep"],
    ]);
    const summary = JSON.parse(readFileSync(path.join(out, "summary.json"), "utf8")) as {
      passAt1: number;
      solveRateWithFeedback: number;
    };
    expect(summary).toMatchObject({ passAt1: 0.5, solveRateWithFeedback: 1 });
    expect(daemon.events.filter((event) => event.event === "task_started")).toHaveLength(4);
  }, 120_000);
});
