import { expect, test } from "bun:test";
import type { QueueEntry } from "../queue/queue.ts";
import { overlaps } from "./scheduler.ts";

const entry = (workspace: string, filesOwned: string[]): QueueEntry => ({
  id: "t",
  seq: 1,
  priority: 0,
  home: null,
  state: "queued",
  workspace,
  task: { description: "d", filesOwned },
  commit: false,
  starts: 0,
  status: null,
  exitCode: null,
  summary: null,
  runId: null,
  outcome: null,
  submittedAt: "",
  startedAt: null,
  finishedAt: null,
});

test.each([
  ["disjoint files on one workspace run together", entry("/w", ["a.ts"]), entry("/w", ["b.ts"]), false],
  ["a shared file waits", entry("/w", ["a.ts", "c.ts"]), entry("/w", ["c.ts"]), true],
  ["the same file spelled two ways is one file", entry("/w", ["./src/a.ts"]), entry("/w", ["src//a.ts"]), true],
  ["the same file on two workspaces is two files", entry("/w", ["a.ts"]), entry("/v", ["a.ts"]), false],
])("overlaps: %s", (_, a, b, expected) => {
  expect(overlaps(a, b)).toBe(expected);
  expect(overlaps(b, a)).toBe(expected);
});
