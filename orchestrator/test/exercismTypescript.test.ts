// The TypeScript track through the real tools: npm ci of the committed lockfile (once per machine), tsc over the
// solution and Jest over every un-skipped test, in the sandbox; the fake model answers for smol-coder's tasks.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import path from "node:path";
import { startFakeModel } from "./fakeModel.ts";
import { ORCHESTRATOR_DIR, perTestResources, runCli, tempDir } from "./helpers.ts";

const TRACK = path.join(ORCHESTRATOR_DIR, "..", "..", "shared", "datasets", "exercism-typescript");
const resources = perTestResources();
const RIGHT =
  "export function isIsogram(phrase: string): boolean {\n  const letters = phrase.toLowerCase().replace(/[^a-z]/g, '')\n  return new Set(letters).size === letters.length\n}\n";
const WRONG_TYPES =
  "export function isIsogram(phrase: string): boolean {\n  const length: number = phrase\n  return length > 0\n}\n";
const WRONG_ANSWER = "export function isIsogram(phrase: string): boolean {\n  return phrase.length >= 0\n}\n";

async function bench(args: string[]) {
  const out = path.join(resources.track(tempDir("smol-exercism-ts-")), "out");
  const result = await runCli(
    [
      "bench",
      "exercism",
      "--track",
      "typescript",
      "--exercises",
      TRACK,
      "--out",
      out,
      "--db",
      path.join(out, "..", "runs.db"),
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
  return { result, lines };
}

describe("bench exercism --track typescript", () => {
  test("--oracle: the maintainers' solutions pass the typecheck and every test", async () => {
    const run = await bench(["--oracle", "--only", "isogram,two-bucket,flatten-array"]);
    expect(run.result.exitCode, run.result.stderr).toBe(0);
    expect(run.result.stdout).toContain("oracle: 3/3 pass");
  }, 300_000);

  test("a reply with the wrong types fails tsc, one with wrong answers fails Jest, the right one passes", async () => {
    const replies = [WRONG_TYPES, WRONG_ANSWER, RIGHT].map((code) => `isogram.ts\n\`\`\`ts\n${code}\`\`\`\n`);
    resources.fake = startFakeModel({ replies: { "fast-coder": replies } });
    const run = await bench([
      "--only",
      "isogram",
      "--start-tier",
      "fast",
      "--max-attempts",
      "3",
      "--escalate-after",
      "3",
      "--no-spec",
      "--no-checkpoints",
    ]);
    expect(run.result.exitCode, run.result.stderr).toBe(0);
    expect(run.lines("results.jsonl")[0]).toMatchObject({
      exercise: "isogram",
      solved: true,
      attempts: [{ outcome: "verification_failed" }, { outcome: "verification_failed" }, { outcome: "passed" }],
    });
    const prompts = resources.fake.requestsFor("fast-coder").map((request) => request.body.messages.at(-1)!.content);
    expect(prompts[1]).toContain("tsc");
    expect(prompts[1]).toContain("TS2322");
    expect(prompts[2]).toContain(
      "isogram.test.ts:17: word with one duplicated character: expect(isIsogram('eleven')).toEqual(expected)",
    );
  }, 300_000);
});
