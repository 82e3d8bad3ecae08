// A Python workspace: pytest is detected, its assertion is fed back, the next attempt fixes it.
import { afterAll, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { startFakeModel } from "./fakeModel.ts";
import { cleanup, diffReply, initRepo, runCli, tempDir } from "./helpers.ts";

const dirs: string[] = [];
afterAll(() => cleanup(...dirs));

test("pytest is detected and its failing assertion reaches the next prompt", async () => {
  const dir = tempDir("smol-py-");
  dirs.push(dir);
  const before = "def median(values):\n    raise NotImplementedError\n";
  const wrong = "def median(values):\n    return sorted(values)[len(values) // 2]\n";
  const right =
    "def median(values):\n    ordered = sorted(values)\n    middle = len(ordered) // 2\n" +
    "    if len(ordered) % 2:\n        return ordered[middle]\n    return (ordered[middle - 1] + ordered[middle]) / 2\n";
  writeFileSync(path.join(dir, "stats.py"), before);
  writeFileSync(
    path.join(dir, "test_stats.py"),
    "from stats import median\n\ndef test_even():\n    assert median([4, 1, 3, 2]) == 2.5\n\ndef test_odd():\n    assert median([3, 1, 2]) == 2\n",
  );
  initRepo(dir);
  const fake = startFakeModel({
    replies: { "fast-coder": [diffReply("stats.py", before, wrong), diffReply("stats.py", before, right)] },
  });
  try {
    const task = JSON.stringify({
      description: "Implement median() for odd and even lengths.",
      filesOwned: ["stats.py"],
    });
    const result = await runCli(["--workspace", dir], { stdin: task, env: { LITELLM_URL: fake.url } });
    expect(result.exitCode).toBe(0);
    expect(result.events.find((event) => event.event === "task_created")?.verify).toEqual(["pytest -q"]);
    const fail = result.events.find((event) => event.event === "verification_failed")!;
    expect((fail.errors as string[]).some((error) => /test_stats\.py:4: assert 3 == 2\.5/.test(error))).toBe(true);
    expect(fake.requestsFor("fast-coder")[1]!.body.messages.at(-1)!.content).toContain("assert 3 == 2.5");
    expect(readFileSync(path.join(dir, "stats.py"), "utf8")).toBe(right);
  } finally {
    await fake.stop();
  }
}, 30_000);
