// Many tasks in one process never exceed a tier's concurrency limit.
import { afterAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { buildConfig } from "../src/config/config.ts";
import { createLogger } from "../src/log/log.ts";
import { createModelClient } from "../src/models/client.ts";
import { runTask } from "../src/run/loop.ts";
import { prepareTask } from "../src/task/prepare.ts";
import { memoryJournal } from "../src/run/journal.ts";
import { createRouter } from "../src/models/permits.ts";
import { startFakeModel, type RecordedRequest } from "./fakeModel.ts";
import { cleanup, diffReply, tempDir, testSandbox } from "./helpers.ts";

const dirs: string[] = [];
afterAll(() => cleanup(...dirs));

/** Replies per prompt: tasks described as "hard" get a wrong answer from the fast tier. */
function reply(tier: "fast" | "deep") {
  return (request: RecordedRequest) => {
    const prompt = request.body.messages.at(-1)!.content;
    const value = tier === "fast" && prompt.includes("hard task") ? "bad" : "good";
    return { reply: diffReply("value.txt", "start\n", `${value}\n`), delayMs: 60 };
  };
}

test("20 tasks in flight: fast never above 4, deep never above 1, reviewer unused", async () => {
  const fake = startFakeModel({ fallback: { "fast-coder": reply("fast"), "deep-coder": reply("deep") } });
  try {
    const config = buildConfig([{ endpoint: { url: fake.url } }]);
    const lines: string[] = [];
    const deps = {
      router: createRouter(config.tiers, config.roles),
      prices: config.prices,
      guidance: config.guidance,
      humaneval: config.humaneval,
      journal: memoryJournal(),
      model: createModelClient({ ...config.endpoint, apiKey: "k" }),
      log: createLogger({
        pretty: false,
        logDir: null,
        secrets: [],
        destination: { write: (line: string) => lines.push(line) },
      }),
      policy: config.policy,
      verify: config.verify,
      patch: config.patch,
      sandbox: await testSandbox(),
      commit: false,
    };
    const tasks = await Promise.all(
      Array.from({ length: 20 }, async (_, index) => {
        const dir = tempDir("smol-conc-");
        dirs.push(dir);
        writeFileSync(path.join(dir, "value.txt"), "start\n");
        const description = `${index % 4 === 0 ? "hard task" : "easy task"} number ${index}: make value.txt say good`;
        return prepareTask(
          { description, filesOwned: ["value.txt"], verify: ["grep -qx good value.txt"] },
          dir,
          config,
          { commit: false },
        );
      }),
    );
    const outcomes = await Promise.all(tasks.map((task) => runTask(task, deps)));
    expect(outcomes.map((outcome) => outcome.status)).toEqual(Array(20).fill("complete"));
    expect(outcomes.filter((outcome) => outcome.finalTier === "deep")).toHaveLength(5);
    expect(fake.requestsFor("fast-coder")).toHaveLength(15 + 5 * 2);
    expect(fake.requestsFor("deep-coder")).toHaveLength(5);
    expect(fake.maxInFlight["fast-coder"]).toBe(4);
    expect(fake.maxInFlight["deep-coder"]).toBe(1);
    expect(fake.maxInFlight.reviewer).toBeUndefined();
    expect(lines.filter((line) => line.includes('"event":"task_escalated"'))).toHaveLength(5);
    // model_call_started means the permit is held: replayed in order, starts minus completes never pass the limit,
    // and every start follows its own model_call_queued (20 tasks asking for 4 permits: most had to wait).
    const events = lines.map((line) => JSON.parse(line) as { event?: string; tier?: string; position?: number });
    const held: Record<string, number> = { fast: 0, deep: 0 };
    const most: Record<string, number> = { fast: 0, deep: 0 };
    for (const event of events) {
      if (event.tier !== "fast" && event.tier !== "deep") continue;
      if (event.event === "model_call_started") most[event.tier] = Math.max(most[event.tier]!, ++held[event.tier]!);
      if (event.event === "model_call_completed") held[event.tier]! -= 1;
    }
    expect(most).toEqual({ fast: 4, deep: 1 });
    const queued = events.filter((event) => event.event === "model_call_queued");
    expect(queued).toHaveLength(events.filter((event) => event.event === "model_call_started").length);
    expect(queued.filter((event) => event.tier === "fast" && event.position! > 0).length).toBeGreaterThan(0);
  } finally {
    await fake.stop();
  }
}, 60_000);
