// The task loop driven by in-memory fakes: a scripted model (replies per alias, in order) and a scripted
// check (passes when value.txt says "good"). Each case is a row: replies in, the outcome and records out.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createTwoFilesPatch } from "diff";
import { buildConfig } from "../config/config.ts";
import { EndpointUnreachable } from "../errors.ts";
import { createLogger } from "../log/log.ts";
import type { Completion, CompletionRequest, ModelClient } from "../models/client.ts";
import { createRouter } from "../models/permits.ts";
import type { Sandbox } from "../sandbox/sandbox.ts";
import type { PreparedTask } from "../task/prepared.ts";
import { promptLayout, type Checker } from "./attempt.ts";
import { memoryJournal } from "./journal.ts";
import { runTask } from "./loop.ts";
import { outcomeLines } from "./exit.ts";

const FILE = "value.txt";
const START = "start\n";
const edit = (to: string) => "```diff\n" + createTwoFilesPatch(`a/${FILE}`, `b/${FILE}`, START, `${to}\n`) + "```\n";
/** Scripted replies: a good edit, a wrong one, no edit at all, a prompt the backend cut, an endpoint that is gone. */
const GOOD = edit("good");
const BAD = edit("bad");
const JUNK = "I think the answer is to make it good.";
/** The file written back as it is, in a block of its own. */
const echo = (content: string) => `Here it is:\n\n\`\`\`\n${content}\`\`\`\n`;
const CUT = { cut: true } as const;
const GONE = { gone: true } as const;
type Reply = string | typeof CUT | typeof GONE;

function scriptedModel(script: Record<string, Reply[]>): ModelClient & { calls: Record<string, CompletionRequest[]> } {
  const calls: Record<string, CompletionRequest[]> = {};
  return {
    calls,
    async complete(request: CompletionRequest): Promise<Completion> {
      const seen = (calls[request.model] ??= []);
      seen.push(request);
      const reply =
        script[request.model]?.[seen.length - 1] ??
        (request.model === "spec-writer" || request.model === "mentor" ? "## Analysis\nadvice" : JUNK);
      if (typeof reply === "object" && "gone" in reply)
        throw new EndpointUnreachable("http://fake/v1", "connection refused", 1);
      const truncated = typeof reply === "object" ? "the backend saw 100 of 2000 prompt tokens" : null;
      return {
        text: typeof reply === "string" ? reply : "",
        tokensIn: 100,
        tokensOut: 10,
        tokensCached: 60,
        computeMs: null,
        costUsd: null,
        durationMs: 1,
        retries: 0,
        truncated,
      };
    },
  };
}

/** The check: passes when the workspace's value.txt says good, and fails naming what it found. */
const scriptedCheck: Checker = async (_check, root) => {
  const value = readFileSync(path.join(root, FILE), "utf8").trim();
  return value === "good"
    ? { passed: true, errors: [], output: "ok", durationMs: 1, decidedBy: "check" }
    : {
        passed: false,
        errors: [`expected good, found ${value}`],
        output: `$ check\n${value}`,
        durationMs: 1,
        decidedBy: "check",
      };
};

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

async function runScripted(
  script: Record<string, Reply[]>,
  guidance: { spec?: boolean; checkpoints?: boolean } = {},
  layer: Record<string, unknown> = {},
  start = START,
) {
  const root = mkdtempSync(path.join(tmpdir(), "smol-loop-"));
  dirs.push(root);
  writeFileSync(path.join(root, FILE), start);
  const config = buildConfig([{ guidance }, layer]);
  const model = scriptedModel(script);
  const journal = memoryJournal();
  const events: { event?: string }[] = [];
  const task: PreparedTask = {
    taskId: "t1",
    kind: "workspace",
    key: "k",
    root,
    description: "make value.txt say good",
    filesOwned: [FILE],
    check: { kind: "commands", commands: ["check"] },
    startTier: "fast",
    maxAttempts: 5,
  };
  const outcome = await runTask(task, {
    router: createRouter(config.tiers, config.roles),
    model,
    log: createLogger({
      pretty: false,
      logDir: null,
      secrets: [],
      destination: { write: (line: string) => void events.push(JSON.parse(line)) },
    }),
    prices: config.prices,
    patch: config.patch,
    policy: config.policy,
    guidance: config.guidance,
    verify: config.verify,
    humaneval: config.humaneval,
    sandbox: {
      enabled: true,
      description: "fake",
      jail: () => Promise.reject(new Error("the scripted check runs no jail")),
      view: () => Promise.reject(new Error("the scripted check needs no view")),
    } satisfies Sandbox,
    checker: scriptedCheck,
    journal,
    commit: false,
  });
  const callsTo = Object.fromEntries(Object.entries(model.calls).map(([alias, list]) => [alias, list.length]));
  return {
    outcome,
    journal,
    model,
    callsTo,
    events: events.map((e) => e.event),
    file: readFileSync(path.join(root, FILE), "utf8"),
  };
}

type Case = {
  name: string;
  script: Record<string, Reply[]>;
  guidance?: { spec?: boolean; checkpoints?: boolean };
  status: string;
  attempts: string[];
  finalTier: string;
  escalations: number;
  checkpoints: number;
  callsTo: Record<string, number>;
  file: string;
};

const cases: Case[] = [
  {
    name: "the fast tier's first edit passes",
    script: { "fast-coder": [GOOD] },
    status: "complete",
    attempts: ["fast:passed"],
    finalTier: "fast",
    escalations: 0,
    checkpoints: 0,
    callsTo: { "spec-writer": 1, "fast-coder": 1 },
    file: "good\n",
  },
  {
    name: "a wrong edit, then the fix at the same tier",
    script: { "fast-coder": [BAD, GOOD] },
    status: "complete",
    attempts: ["fast:verification_failed", "fast:passed"],
    finalTier: "fast",
    escalations: 0,
    checkpoints: 0,
    callsTo: { "spec-writer": 1, "fast-coder": 2 },
    file: "good\n",
  },
  {
    name: "two failures at fast escalate to deep, with a mentor checkpoint, and deep solves it",
    script: { "fast-coder": [BAD, JUNK], "deep-coder": [GOOD] },
    status: "complete",
    attempts: ["fast:verification_failed", "fast:patch_rejected", "deep:passed"],
    finalTier: "deep",
    escalations: 1,
    checkpoints: 1,
    callsTo: { "spec-writer": 1, "fast-coder": 2, mentor: 1, "deep-coder": 1 },
    file: "good\n",
  },
  {
    name: "nothing works: five attempts across all tiers, then abort with the workspace restored",
    script: { "fast-coder": [BAD, BAD], "deep-coder": [BAD, JUNK], reviewer: [BAD] },
    status: "abort",
    attempts: [
      "fast:verification_failed",
      "fast:verification_failed",
      "deep:verification_failed",
      "deep:patch_rejected",
      "reviewer:verification_failed",
    ],
    finalTier: "reviewer",
    escalations: 2,
    checkpoints: 2,
    callsTo: { "spec-writer": 1, "fast-coder": 2, mentor: 2, "deep-coder": 2, reviewer: 1 },
    file: START,
  },
  {
    name: "a prompt the backend cut escalates at once",
    script: { "fast-coder": [CUT], "deep-coder": [GOOD] },
    status: "complete",
    attempts: ["fast:prompt_too_long", "deep:passed"],
    finalTier: "deep",
    escalations: 1,
    checkpoints: 1,
    callsTo: { "spec-writer": 1, "fast-coder": 1, mentor: 1, "deep-coder": 1 },
    file: "good\n",
  },
  {
    name: "a second attempt whose history does not fit is asked again with a shorter one, at the same tier",
    script: { "fast-coder": [BAD, CUT, GOOD] },
    status: "complete",
    attempts: ["fast:verification_failed", "fast:passed"],
    finalTier: "fast",
    escalations: 0,
    checkpoints: 0,
    callsTo: { "spec-writer": 1, "fast-coder": 3 },
    file: "good\n",
  },
  {
    name: "without spec or checkpoints only the coding tiers are called",
    script: { "fast-coder": [BAD, BAD], "deep-coder": [GOOD] },
    guidance: { spec: false, checkpoints: false },
    status: "complete",
    attempts: ["fast:verification_failed", "fast:verification_failed", "deep:passed"],
    finalTier: "deep",
    escalations: 1,
    checkpoints: 0,
    callsTo: { "fast-coder": 2, "deep-coder": 1 },
    file: "good\n",
  },
  {
    name: "an endpoint that goes away ends the task unreachable, the workspace restored",
    script: { "fast-coder": [BAD, GONE] },
    status: "unreachable",
    attempts: ["fast:verification_failed"],
    finalTier: "fast",
    escalations: 0,
    checkpoints: 0,
    callsTo: { "spec-writer": 1, "fast-coder": 2 },
    file: START,
  },
];

describe("the task loop on scripted replies and a scripted check", () => {
  test.each(cases)("$name", async (row) => {
    const { outcome, journal, callsTo, file } = await runScripted(row.script, row.guidance);
    expect(outcome.status).toBe(row.status as typeof outcome.status);
    expect(journal.attempts.map((a) => `${a.tier}:${a.outcome}`)).toEqual(row.attempts);
    expect(outcome.totalAttempts).toBe(row.attempts.length);
    expect(outcome.passedFirstAttempt).toBe(row.attempts[0] === "fast:passed");
    expect(outcome.finalTier).toBe(row.finalTier as typeof outcome.finalTier);
    expect(outcome.escalations).toBe(row.escalations);
    expect(outcome.checkpoints).toBe(row.checkpoints);
    expect(callsTo).toEqual(row.callsTo);
    expect(file).toBe(row.file);
    // Usage is folded from every call the journal saw.
    const usageCalls = Object.values(outcome.usage).reduce((sum, u) => sum + u.calls, 0);
    expect(usageCalls).toBe(journal.calls.length);
  });

  test("the next attempt is shown what failed before; a cut prompt is not fed back", async () => {
    const { model } = await runScripted(
      { "fast-coder": [BAD, CUT], "deep-coder": [GOOD] },
      { spec: false, checkpoints: false },
    );
    const second = model.calls["fast-coder"]![1]!.messages.at(-1)!.content;
    expect(second).toContain("expected good, found bad");
    const deep = model.calls["deep-coder"]![0]!.messages.at(-1)!.content;
    expect(deep).toContain("expected good, found bad");
    expect(deep).not.toContain("prompt tokens");
  });

  test("a reply that writes the file back unchanged is checked, not refused: failing, the model sees the errors", async () => {
    const { outcome, journal, model, events } = await runScripted(
      { "fast-coder": [echo(START), GOOD] },
      { spec: false, checkpoints: false },
    );
    expect(outcome.status).toBe("complete");
    expect(journal.attempts.map((a) => a.outcome)).toEqual(["verification_failed", "passed"]);
    expect(journal.attempts[0]!.errors).toEqual([
      "your reply changed nothing in value.txt but blank lines at most, and the checks fail on value.txt as it stands",
      "expected good, found start",
    ]);
    expect(events).toContain("patch_unchanged");
    expect(events).not.toContain("patch_rejected");
    expect(model.calls["fast-coder"]![1]!.messages.at(-1)!.content).toContain("expected good, found start");
  });

  test("an unchanged owned file beside a rewrite of a file the task does not own: the model is told of both", async () => {
    const both = `value.txt\n\`\`\`\n${START}\`\`\`\n\nvalue_test.txt\n\`\`\`\nanything\n\`\`\`\n`;
    const { journal } = await runScripted({ "fast-coder": [both, GOOD] }, { spec: false, checkpoints: false });
    expect(journal.attempts[0]!.outcome).toBe("verification_failed");
    expect(journal.attempts[0]!.errors.slice(0, 2)).toEqual([
      "your reply changed nothing in value.txt but blank lines at most, and the checks fail on value.txt as it stands",
      "your reply also rewrote value_test.txt, which this task does not own: that edit was not applied (only value.txt may change; the tests are fixed)",
    ]);
  });

  test("an unchanged file the checks already pass is refused: they cannot show the task done", async () => {
    const { outcome, journal } = await runScripted(
      { "fast-coder": [echo("good\n"), echo("good\n")] },
      { spec: false, checkpoints: false },
      {},
      "good\n",
    );
    // Every later reply is junk (the script's default): the task ends without a verified change.
    expect(outcome.status).toBe("abort");
    expect(journal.attempts.map((a) => a.outcome).slice(0, 2)).toEqual(["patch_rejected", "patch_rejected"]);
    expect(journal.attempts[0]!.errors[0]).toContain("the checks already pass on value.txt as it stands");
  });

  test("with patch.acceptUnchanged the checks are the whole definition of done: completed, nothing landed", async () => {
    const { outcome, journal, file, events } = await runScripted(
      { "fast-coder": [echo("good\n")] },
      { spec: false, checkpoints: false },
      { patch: { acceptUnchanged: true } },
      "good\n",
    );
    expect(outcome.status).toBe("complete");
    expect(journal.attempts.map((a) => [a.outcome, a.diff, a.unchanged])).toEqual([["passed", null, true]]);
    expect(file).toBe("good\n");
    expect(events.filter((e) => e === "task_completed")).toHaveLength(1);
    expect(outcome.unchanged).toBe(true);
    expect(outcomeLines(outcome, "r-1").join("\n")).toContain("nothing changed");
  });

  test("the chat layout asks a workspace task as the whole-file coder's conversation; a HumanEval task stays plain", async () => {
    const { outcome, model } = await runScripted(
      { "fast-coder": [`value.txt\n\`\`\`\ngood\n\`\`\`\n`] },
      { spec: false, checkpoints: false },
      { patch: { layout: "chat" } },
    );
    expect(outcome.status).toBe("complete");
    const messages = model.calls["fast-coder"]![0]!.messages;
    expect(messages.map((m) => m.role)).toEqual(["system", "user", "assistant", "user"]);
    expect(messages[3]!.content).toBe("make value.txt say good");
    expect(promptLayout({ kind: "humaneval" }, "chat")).toBe("plain");
    expect(promptLayout({ kind: "workspace" }, "chat")).toBe("chat");
    expect(promptLayout({ kind: "humaneval" }, "sections")).toBe("sections");
  });

  test("the chat layout retries as Aider does: the last reply as the assistant's turn, then what the checks said", async () => {
    const wrong = `value.txt\n\`\`\`\nbad\n\`\`\`\n`;
    const { outcome, model, journal } = await runScripted(
      { "fast-coder": ["Sure, I will change value.txt.", wrong, `value.txt\n\`\`\`\ngood\n\`\`\`\n`] },
      { spec: false, checkpoints: false },
      { patch: { layout: "chat" }, policy: { failuresBeforeEscalation: 3 } },
    );
    expect(outcome.status).toBe("complete");
    // A refused reply: the checks ran on the file as it stands, so the retry sees their output after the refusal.
    expect(journal.attempts[0]!.outcome).toBe("patch_rejected");
    expect(journal.attempts[0]!.verificationOutput).toBe(`$ check\n${START.trim()}`);
    const second = model.calls["fast-coder"]![1]!.messages;
    expect(second.map((m) => m.role)).toEqual(["system", "user", "assistant", "user", "assistant", "user"]);
    expect(second[3]!.content).toBe("make value.txt say good");
    expect(second[4]!.content).toBe("Sure, I will change value.txt.");
    expect(second[5]!.content).toStartWith("patch rejected: no edit found");
    expect(second[5]!.content).toContain(`\n\n${START.trim()}\n\n####\n`);
    expect(second[5]!.content).toEndWith("Fix the code in value.txt to resolve the errors.");
    // Two failures: both exchanges are turns, and the files are shown as the last reply left them, as Aider shows them.
    const third = model.calls["fast-coder"]![2]!.messages;
    expect(third.map((m) => m.role).slice(3)).toEqual(["user", "assistant", "user", "assistant", "user"]);
    expect(third[6]!.content).toBe(wrong);
    expect(third[7]!.content).toStartWith("bad\n\n####\n");
    expect(third[1]!.content).toContain("value.txt\n```\nbad\n```");
    expect(second[1]!.content).toContain(`value.txt\n\`\`\`\n${START}\`\`\``);
  });

  test("events come in the order a task flows", async () => {
    const { events } = await runScripted({ "fast-coder": [BAD, BAD], "deep-coder": [GOOD] }, { spec: false });
    const flow = events.filter((e) =>
      [
        "task_created",
        "patch_applied",
        "verification_failed",
        "verification_passed",
        "task_escalated",
        "checkpoint_written",
        "task_completed",
      ].includes(e ?? ""),
    );
    expect(flow).toEqual([
      "task_created",
      "patch_applied",
      "verification_failed",
      "patch_applied",
      "verification_failed",
      "task_escalated",
      "checkpoint_written",
      "patch_applied",
      "verification_passed",
      "task_completed",
    ]);
  });

  test("each call carries its role's reply cap as max_tokens, and none where none is set", async () => {
    const layer = { tiers: { fast: { maxReplyTokens: 512 } }, roles: { specWriter: { maxReplyTokens: 300 } } };
    const { model } = await runScripted(
      { "fast-coder": [BAD, BAD], "deep-coder": [GOOD] },
      { checkpoints: false },
      layer,
    );
    expect(model.calls["fast-coder"]!.map((call) => call.maxTokens)).toEqual([512, 512]);
    expect(model.calls["spec-writer"]!.map((call) => call.maxTokens)).toEqual([300]);
    expect(model.calls["deep-coder"]!.map((call) => call.maxTokens)).toEqual([undefined]);
  });

  test("a spec written after the first failure: none for a task solved at once, then shown from the second attempt on", async () => {
    const layer = { guidance: { specWhen: "after-first-failure" } };
    const atOnce = await runScripted({ "fast-coder": [GOOD] }, { checkpoints: false }, layer);
    expect(atOnce.outcome.status).toBe("complete");
    expect(atOnce.callsTo["spec-writer"]).toBeUndefined();
    const second = await runScripted({ "fast-coder": [BAD, GOOD] }, { checkpoints: false }, layer);
    expect(second.outcome.status).toBe("complete");
    expect(second.callsTo["spec-writer"]).toBe(1);
    const prompts = second.model.calls["fast-coder"]!.map((call) => call.messages.at(-1)!.content);
    expect(prompts[0]).not.toContain("Specification");
    expect(prompts[1]).toContain("Specification");
  });
});
