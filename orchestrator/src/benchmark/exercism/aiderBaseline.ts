// The field's baseline in the same run: a tier's model asked the way Aider's benchmark asks it (whole files, two
// tries, the second shown the first 50 lines of the test output), in its own copy of the exercise, verified by the
// same check as smol-coder's tasks. Calls take the tier's permits, like every other call.
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { PromptTooLong } from "../../errors.ts";
import { callModel } from "../../models/calls.ts";
import type { Session } from "../../run/session.ts";
import type { ChatMessage, Tier } from "../../types.ts";
import { runCheck } from "../../verify/check.ts";
import { aiderMessages, readListings } from "./aiderProtocol.ts";
import { taskKey, type Exercise } from "./track.ts";
import type { BaselineLine, Try } from "./lines.ts";
import { exerciseInstructions, fileList } from "./protocol.ts";
import { failedOutput, testFailureMessage } from "../../guidance/chat.ts";
import { createExerciseWorkspace } from "./workspace.ts";
import { emit } from "../../log/events.ts";
import { safeName, writeExchange } from "../../run/journal.ts";

export type BaselineContext = {
  session: Session;
  parentDir: string;
  commands: string[];
  tries: number;
  nodeModules?: string;
  /** --debug: each try's prompt, reply and verdict under DIR/<exercise's task key>/baseline-TIER-try-N/. */
  debugDir?: string;
};

async function readFiles(root: string, names: readonly string[]): Promise<Map<string, string>> {
  return new Map(
    await Promise.all(names.map(async (name) => [name, await readFile(path.join(root, name), "utf8")] as const)),
  );
}

export async function askLikeAider(
  context: BaselineContext,
  exercise: Exercise,
  tier: Tier,
  signal: AbortSignal,
): Promise<BaselineLine> {
  const { session } = context;
  const started = performance.now();
  const { root } = await createExerciseWorkspace(exercise, path.join(context.parentDir, tier), {
    nodeModules: context.nodeModules,
  });
  const docs = await Promise.all(exercise.docs.map((file) => readFile(file, "utf8")));
  const files = fileList(exercise);
  const turns: ChatMessage[] = [{ role: "user", content: exerciseInstructions(docs, files) }];
  const tries: Try[] = [];
  let model = session.router.modelFor(tier);
  for (let n = 1; n <= context.tries; n++) {
    const current = await readFiles(root, exercise.solution);
    const deps = {
      router: session.router,
      model: session.model,
      log: session.log,
      prices: session.config.prices,
      signal,
    };
    const prompt = aiderMessages(current, turns);
    const asked = performance.now();
    let reply: Awaited<ReturnType<typeof callModel>>;
    try {
      reply = await callModel(deps, { role: tier, attempt: n, messages: prompt });
    } catch (error) {
      if (!(error instanceof PromptTooLong)) throw error;
      // As Aider against a server that refuses the prompt: the try fails, and a longer one cannot fit either.
      emit(
        session.log,
        "prompt_too_long",
        { tier, attempt: n, reason: error.message },
        { level: "warn", message: "the baseline's prompt does not fit the model's context" },
      );
      tries.push({
        wellFormed: false,
        passed: false,
        tokensIn: 0,
        tokensOut: 0,
        modelMs: Math.round(performance.now() - asked),
        tooLong: true,
      });
      break;
    }
    const { text, record } = reply;
    model = record.alias;
    const listings = readListings(text, exercise.solution);
    for (const [name, content] of listings) await writeFile(path.join(root, name), content);
    const check = await runCheck(
      { kind: "commands", commands: context.commands },
      root,
      { verify: session.config.verify, humaneval: session.config.humaneval, sandbox: await session.sandbox(), signal },
      exercise.solution,
    );
    if (context.debugDir)
      writeExchange(path.join(context.debugDir, safeName(taskKey(exercise)), `baseline-${tier}-try-${n}`), {
        prompt,
        reply: text,
        outcome: check.passed ? "passed" : "verification_failed",
        errors:
          listings.size > 0 ? check.errors : ["no listing of a solution file: the files as they were", ...check.errors],
        verificationOutput: check.output,
      });
    tries.push({
      wellFormed: listings.size > 0,
      passed: check.passed,
      tokensIn: record.tokensIn,
      tokensOut: record.tokensOut,
      modelMs: record.latencyMs,
      ...(record.computeMs === null ? {} : { computeMs: record.computeMs }),
    });
    if (check.passed) break;
    turns.push(
      { role: "assistant", content: text },
      { role: "user", content: testFailureMessage(failedOutput(check.output), files) },
    );
  }
  const solved = tries.at(-1)?.passed === true;
  return {
    exercise: exercise.name,
    tier,
    model,
    status: solved ? "complete" : "failed",
    solved,
    tries,
    wallMs: Math.round(performance.now() - started),
  };
}
