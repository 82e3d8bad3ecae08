import { describe, expect, test } from "bun:test";
import { buildMessages, shortenedHistory, type AttemptFeedback } from "./prompt.ts";

const diff = `--- a/song.py\n+++ b/song.py\n@@ -1 +1 @@\n-def recite(start, take=1):\n+def recite(start, take=1):\n${"+    verse = 'bottles'\n".repeat(200)}`;
const feedback: AttemptFeedback[] = [
  {
    attempt: 1,
    tier: "fast",
    kind: "patch_rejected",
    diff: "--- a/song.py",
    errors: ["patch rejected: no edit found"],
  },
  {
    attempt: 2,
    tier: "fast",
    kind: "verification_failed",
    diff,
    errors: ["E".repeat(5_000), "b", "c", "d", "e", "f", "g"],
  },
];

describe("the history shortened for a prompt that did not fit", () => {
  test("keeps the last attempt only, without its diff, at most five errors, each cut", () => {
    const [only, ...rest] = shortenedHistory(feedback, 100);
    expect(rest).toEqual([]);
    expect(only).toMatchObject({ attempt: 2, tier: "fast", kind: "verification_failed", diff: null });
    expect(only!.errors).toEqual([`${"E".repeat(100)}… (cut to fit)`, "b", "c", "d", "e"]);
  });

  test("no history stays none", () => {
    expect(shortenedHistory([])).toEqual([]);
  });

  test("the prompt keeps the task and the file and loses the diff", () => {
    const ask = (history: AttemptFeedback[]) =>
      buildMessages({
        description: "Recite the song.",
        files: new Map([["song.py", "def recite(start, take=1):\n    pass\n"]]),
        verify: ["pytest"],
        feedback: history,
        format: "whole",
        layout: "plain",
      })[0]!.content;
    const full = ask(feedback);
    const short = ask(shortenedHistory(feedback));
    expect(full).toContain("verse = 'bottles'");
    expect(short).not.toContain("verse = 'bottles'");
    expect(short).toContain("Recite the song.");
    expect(short).toContain("def recite(start, take=1):\n    pass\n");
    expect(short).toContain("Attempt 2 (fast tier): verification failed");
    expect(short.length).toBeLessThan(full.length / 3);
  });
});
