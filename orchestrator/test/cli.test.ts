// End to end through the real CLI process: real git workspaces, real tsc, the fake model server as the endpoint.
import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { startFakeModel } from "./fakeModel.ts";
import {
  diffReply,
  eventNames,
  fencedReply,
  git,
  perTestResources,
  runCli,
  TEST_DB,
  treeState,
  tsWorkspace,
  unifiedDiff,
} from "./helpers.ts";

const MATH = "src/math.ts";
const BEFORE = readFileSync(path.join(import.meta.dir, "fixtures", "ts-workspace", MATH), "utf8");
const RIGHT = BEFORE.replace(
  '  throw new Error("not implemented");',
  "  return prices.reduce((sum, price) => sum + price, 0);",
);
const WRONG = BEFORE.replace(
  '): number {\n  throw new Error("not implemented");',
  '): string {\n  return prices.join("+");',
);
const API_KEY = "sk-test-secret-0123456789";

const TASK = JSON.stringify({ description: "Implement total() so it sums the prices.", filesOwned: [MATH] });

const resources = perTestResources();
const workspace = () => resources.track(tsWorkspace());

function run(dir: string, args: string[] = [], stdin = TASK, env: Record<string, string> = {}) {
  return runCli(["--workspace", dir, ...args], {
    stdin,
    env: { LITELLM_URL: resources.fake?.url ?? "http://127.0.0.1:9/v1", LITELLM_API_KEY: API_KEY, ...env },
  });
}

describe("a task through the CLI", () => {
  test("succeeds on the first try and tells the story in events", async () => {
    resources.fake = startFakeModel({ replies: { "fast-coder": [diffReply(MATH, BEFORE, RIGHT)] } });
    const dir = workspace();
    const result = await run(dir);
    expect(result.exitCode).toBe(0);
    expect(eventNames(result)).toEqual([
      "sandbox_ready",
      "orchestrator_started",
      "task_created",
      "model_call_queued",
      "model_call_started",
      "endpoint_ready",
      "model_call_completed",
      "spec_written",
      "model_call_queued",
      "model_call_started",
      "model_call_completed",
      "patch_applied",
      "verification_started",
      "verification_passed",
      "task_completed",
    ]);
    expect(readFileSync(path.join(dir, MATH), "utf8")).toBe(RIGHT);
    const [request] = resources.fake!.requestsFor("fast-coder");
    expect(request?.authorization).toBe(`Bearer ${API_KEY}`);
    const prompt = request!.body.messages.map((message) => message.content).join("\n");
    expect(prompt).toContain(`## ${MATH}`);
    expect(prompt).toContain('throw new Error("not implemented");');
    // The spec writer's reply reaches the attempt's prompt.
    expect(prompt).toContain("# Guidance");
    expect(prompt).toContain("## Specification");
    expect(result.stdout + result.stderr).not.toContain(API_KEY);
    const complete = result.events.at(-1)!;
    expect(complete).toMatchObject({ event: "task_completed", totalAttempts: 1, finalTier: "fast" });
  }, 30_000);

  test("two failed fast attempts escalate to deep, which completes; tsc errors are fed back", async () => {
    resources.fake = startFakeModel({
      replies: {
        "fast-coder": [diffReply(MATH, BEFORE, WRONG), diffReply(MATH, BEFORE, WRONG)],
        "deep-coder": [diffReply(MATH, BEFORE, RIGHT)],
      },
    });
    const dir = workspace();
    const result = await run(dir);
    expect(result.exitCode).toBe(0);
    const names = eventNames(result);
    expect(names.filter((name) => name === "verification_failed")).toHaveLength(2);
    const escalation = result.events.find((event) => event.event === "task_escalated");
    expect(escalation).toMatchObject({ fromTier: "fast", toTier: "deep" });
    expect(names.indexOf("task_escalated")).toBeGreaterThan(names.lastIndexOf("verification_failed"));
    const fail = result.events.find((event) => event.event === "verification_failed")!;
    expect((fail.errors as string[]).some((error) => /src\/main\.ts:3:\d+ error TS2322/.test(error))).toBe(true);
    const deepPrompt = resources.fake!.requestsFor("deep-coder")[0]!.body.messages.at(-1)!.content;
    expect(deepPrompt).toContain("TS2322");
    expect(deepPrompt).toContain("Attempt 2 (fast tier)");
    expect(result.events.at(-1)).toMatchObject({ event: "task_completed", totalAttempts: 3, finalTier: "deep" });
    expect(readFileSync(path.join(dir, MATH), "utf8")).toBe(RIGHT);
  }, 30_000);

  test("aborts after 5 attempts and restores every owned file byte for byte", async () => {
    const helper = "src/extra/helper.ts";
    const wrong = fencedReply(
      unifiedDiff(MATH, BEFORE, WRONG),
      unifiedDiff(helper, null, "export const x: number = 'no';\n"),
    );
    resources.fake = startFakeModel({ fallback: { "fast-coder": wrong, "deep-coder": wrong, reviewer: wrong } });
    const dir = workspace();
    writeFileSync(path.join(dir, "untracked-notes.txt"), "keep me\n");
    const before = treeState(dir);
    const task = JSON.stringify({ description: "Implement total()", filesOwned: [MATH, helper] });
    const result = await run(dir, [], task);
    expect(result.exitCode).toBe(1);
    expect(resources.fake!.requests.map((request) => request.model)).toEqual([
      "spec-writer",
      "fast-coder",
      "fast-coder",
      "mentor",
      "deep-coder",
      "deep-coder",
      "mentor",
      "reviewer",
    ]);
    expect(result.events.filter((event) => event.event === "patch_applied")).toHaveLength(5);
    expect(eventNames(result).filter((name) => name === "task_escalated")).toHaveLength(2);
    expect(result.events.at(-1)).toMatchObject({ event: "task_aborted", totalAttempts: 5, finalTier: "reviewer" });
    expect((result.events.at(-1)!.lastErrors as string[]).length).toBeGreaterThan(1);
    expect(treeState(dir)).toEqual(before);
    expect(existsSync(path.join(dir, "src", "extra"))).toBe(false);
  }, 40_000);

  test("a patch touching a file outside filesOwned is rejected, fed back, and the retry succeeds", async () => {
    const main = "src/main.ts";
    const mainBefore = readFileSync(path.join(import.meta.dir, "fixtures", "ts-workspace", main), "utf8");
    resources.fake = startFakeModel({
      replies: {
        "fast-coder": [
          diffReply(main, mainBefore, mainBefore.replace("cents: number", "cents: any")),
          diffReply(MATH, BEFORE, RIGHT),
        ],
      },
    });
    const dir = workspace();
    const result = await run(dir);
    expect(result.exitCode).toBe(0);
    const rejected = result.events.find((event) => event.event === "patch_rejected");
    expect(rejected?.reason).toBe("path is not in filesOwned (src/main.ts)");
    expect(resources.fake!.requestsFor("fast-coder")[1]!.body.messages.at(-1)!.content).toContain(
      "path is not in filesOwned (src/main.ts)",
    );
    expect(readFileSync(path.join(dir, main), "utf8")).toBe(mainBefore);
  }, 30_000);

  test("retries a 429 honouring retry-after, then completes", async () => {
    resources.fake = startFakeModel({
      replies: { "fast-coder": [{ status: 429, retryAfter: "1" }, diffReply(MATH, BEFORE, RIGHT)] },
    });
    const dir = workspace();
    const result = await run(dir);
    expect(result.exitCode).toBe(0);
    const calls = resources.fake!.requestsFor("fast-coder");
    expect(calls).toHaveLength(2);
    expect(calls[1]!.at - calls[0]!.at).toBeGreaterThanOrEqual(900);
    expect(result.events.find((event) => event.event === "model_call_retried")).toMatchObject({
      failure: "HTTP 429",
      delayMs: 1000,
    });
  }, 30_000);

  test("--commit commits the owned files with the task description, without running hooks or fsmonitor", async () => {
    resources.fake = startFakeModel({ replies: { "fast-coder": [diffReply(MATH, BEFORE, RIGHT)] } });
    const dir = workspace();
    const marker = (name: string) => path.join(dir, `ran-${name}`);
    const script = (name: string) => `#!/bin/sh\ntouch ${marker(name)}\n`;
    writeFileSync(path.join(dir, ".git", "hooks", "pre-commit"), script("git-hooks-pre-commit"), { mode: 0o755 });
    // The repository's own config names programs too: another hooks directory, and an fsmonitor.
    mkdirSync(path.join(dir, ".git", "other-hooks"));
    for (const hook of ["pre-commit", "post-commit"])
      writeFileSync(path.join(dir, ".git", "other-hooks", hook), script(`hooks-path-${hook}`), { mode: 0o755 });
    writeFileSync(path.join(dir, ".git", "fsmonitor.sh"), script("fsmonitor"), { mode: 0o755 });
    git(dir, "config", "core.hooksPath", path.join(dir, ".git", "other-hooks"));
    git(dir, "config", "core.fsmonitor", path.join(dir, ".git", "fsmonitor.sh"));
    const result = await run(dir, ["--commit"]);
    expect(result.exitCode).toBe(0);
    expect(git(dir, "log", "-1", "--format=%s").trim()).toBe("Implement total() so it sums the prices.");
    expect(git(dir, "show", "--name-only", "--format=", "HEAD").trim()).toBe(MATH);
    expect(readdirSync(dir).filter((name) => name.startsWith("ran-"))).toEqual([]);
    expect(result.events.at(-1)?.commit).toMatch(/^[0-9a-f]{7,}$/);
  }, 30_000);
});

describe("the model endpoint", () => {
  const fastRetries = { env: {}, args: ["--config", path.join(import.meta.dir, "fixtures", "fast-retry.json")] };

  test("unreachable: exit 3, an event that says so, no stack trace, workspace untouched", async () => {
    const dir = workspace();
    const before = treeState(dir);
    const result = await run(dir, fastRetries.args, TASK, { LITELLM_URL: "http://127.0.0.1:9/v1" });
    expect(result.exitCode).toBe(3);
    expect(result.events.find((event) => event.event === "endpoint_unreachable")?.reason).toContain("connection");
    expect(result.events.at(-1)).toMatchObject({ event: "task_aborted", reason: "unreachable" });
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(treeState(dir)).toEqual(before);
  }, 30_000);

  test("a hanging endpoint times out, is retried, then ends with exit 3", async () => {
    resources.fake = startFakeModel({ fallback: { "fast-coder": { hang: true } } });
    const dir = workspace();
    const result = await run(dir, [...fastRetries.args, "--timeout-ms", "300"]);
    expect(result.exitCode).toBe(3);
    expect(resources.fake!.requestsFor("fast-coder")).toHaveLength(3);
    expect(result.events.filter((event) => event.event === "model_call_retried").map((event) => event.failure)).toEqual(
      ["timeout", "timeout"],
    );
  }, 30_000);

  test("persistent 500s end with exit 3 after the configured retries", async () => {
    resources.fake = startFakeModel({ fallback: { "fast-coder": { status: 500 } } });
    const result = await run(workspace(), fastRetries.args);
    expect(result.exitCode).toBe(3);
    expect(resources.fake!.requestsFor("fast-coder")).toHaveLength(3);
  }, 30_000);

  test("a refused key (401) is a configuration error: exit 2", async () => {
    resources.fake = startFakeModel({ fallback: { "fast-coder": { status: 401, message: "invalid api key" } } });
    const result = await run(workspace(), fastRetries.args);
    expect(result.exitCode).toBe(2);
    expect(resources.fake!.requestsFor("fast-coder")).toHaveLength(1);
    expect(result.events.find((event) => event.event === "endpoint_rejected")?.reason).toContain("HTTP 401");
  }, 30_000);

  test("a prompt the local model saw only in part escalates at once, and the record says why", async () => {
    // The usage Ollama reports when it cut the prompt to num_ctx: the whole window, whatever was sent.
    resources.fake = startFakeModel({
      replies: {
        "fast-coder": [{ reply: diffReply(MATH, BEFORE, WRONG), promptTokens: 16_384 }],
        "deep-coder": [diffReply(MATH, BEFORE, RIGHT)],
      },
    });
    const dir = workspace();
    const result = await run(dir);
    expect(result.exitCode).toBe(0);
    expect(resources.fake!.requestsFor("fast-coder")[0]?.body.num_ctx).toBe(16_384);
    expect(resources.fake!.requestsFor("fast-coder")).toHaveLength(1);
    expect(resources.fake!.requestsFor("reviewer")).toHaveLength(0);
    expect(result.events.find((event) => event.event === "prompt_too_long")).toMatchObject({
      tier: "fast",
      model: "fast-coder",
      tokensIn: 16_384,
      contextTokens: 16_384,
    });
    expect(result.events.find((event) => event.event === "task_escalated")).toMatchObject({
      fromTier: "fast",
      toTier: "deep",
      reason: "the prompt is too long for fast",
    });
    // The cut reply was never applied: the only patch is deep's.
    expect(result.events.filter((event) => event.event === "patch_applied")).toHaveLength(1);
    expect(readFileSync(path.join(dir, MATH), "utf8")).toBe(RIGHT);
    const runId = /run (\S+?)(;|$)/m.exec(result.stderr)?.[1];
    const db = new Database(TEST_DB, { readonly: true });
    const rows = db
      .query(
        "SELECT a.n, a.tier, a.outcome FROM attempts a JOIN tasks t ON t.id = a.task_id WHERE t.run_id = ? ORDER BY a.n",
      )
      .all(runId!);
    // The cut call's tokens were spent, so it is recorded like any other call.
    const fastCalls = db
      .query(
        "SELECT tokens_in FROM model_calls c JOIN tasks t ON t.id = c.task_id WHERE t.run_id = ? AND c.role = 'fast'",
      )
      .all(runId!);
    db.close();
    expect(rows).toEqual([
      { n: 1, tier: "fast", outcome: "prompt_too_long" },
      { n: 2, tier: "deep", outcome: "passed" },
    ]);
    expect(fastCalls).toEqual([{ tokens_in: 16_384 }]);
  }, 30_000);

  test("the readiness wait gives up with exit 3 when nothing answers", async () => {
    const result = await run(
      workspace(),
      ["--config", path.join(import.meta.dir, "fixtures", "fast-retry.json")],
      TASK,
      { LITELLM_URL: "http://127.0.0.1:9/v1" },
    );
    expect(result.exitCode).toBe(3);
    expect(result.events.find((event) => event.event === "endpoint_not_ready")).toMatchObject({
      reason: "connection refused",
      timeoutMs: 300,
    });
    expect(result.events.find((event) => event.event === "endpoint_unreachable")?.reason).toContain(
      "not ready within 300 ms (connection refused)",
    );
  }, 30_000);
});
