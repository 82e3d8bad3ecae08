// The task journal: what the orchestrator reports as a task runs (model calls, attempts, checkpoints, specs).
// The orchestrator only sees this interface; the run store and --debug files sit behind it.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { RunStore } from "../store/store.ts";
import type { CallRecord, Checkpoint } from "../types.ts";
import type { AdviceRecord, StoredSpec } from "../guidance/advisor.ts";
import type { AttemptRecord } from "./state.ts";

export type { AttemptRecord };

export type TaskJournal = AdviceRecord & {
  modelCall(record: CallRecord): void;
  attempt(record: AttemptRecord): void;
};

/** A journal that keeps everything in memory: for library callers that want no files. */
export function memoryJournal(): TaskJournal & {
  calls: CallRecord[];
  attempts: AttemptRecord[];
  checkpoints: Checkpoint[];
  specs: Map<string, StoredSpec>;
} {
  const calls: CallRecord[] = [];
  const attempts: AttemptRecord[] = [];
  const checkpoints: Checkpoint[] = [];
  const specs = new Map<string, StoredSpec>();
  return {
    calls,
    attempts,
    checkpoints,
    specs,
    modelCall: (record) => void calls.push(record),
    attempt: (record) => void attempts.push(record),
    checkpoint: (checkpoint) => void checkpoints.push(checkpoint),
    findSpec: (key) => specs.get(key)?.text ?? null,
    saveSpec: (spec) => void specs.set(spec.key, spec),
  };
}

/** The journal behind `run` and `bench`: every record into the run store; with a debug dir, files too. */
export function storeJournal(
  store: Pick<RunStore, "recordModelCall" | "recordAttempt" | "recordCheckpoint" | "findSpec" | "saveSpec">,
  taskId: number,
  options: { debugDir?: string; taskKey: string },
): TaskJournal {
  const debugDir = options.debugDir ? path.join(options.debugDir, safeName(options.taskKey)) : null;
  return {
    modelCall: (call) =>
      store.recordModelCall(taskId, { ...call, costUsd: call.costSource === "unpriced" ? null : call.costUsd }),
    attempt: (record) => {
      store.recordAttempt(taskId, record);
      if (debugDir) writeDebugFiles(path.join(debugDir, `attempt-${record.n}-${record.tier}`), record);
    },
    checkpoint: (checkpoint, text) => {
      store.recordCheckpoint(taskId, { ...checkpoint, sections: { ...checkpoint.sections }, text });
      if (debugDir) writeFiles(debugDir, { [`checkpoint-${checkpoint.n}.md`]: text });
    },
    findSpec: (key) => store.findSpec(key)?.text ?? null,
    saveSpec: (spec) => {
      store.saveSpec({ ...spec, taskId });
      if (debugDir) writeFiles(debugDir, { "spec.md": spec.text });
    },
  };
}

/** Pure: a task key as one safe path segment ("HumanEval/7" → "HumanEval_7"). */
export function safeName(key: string): string {
  return (
    key
      .replace(/[^A-Za-z0-9._-]+/g, "_")
      .replace(/^[._]+/, "")
      .slice(0, 80) || "task"
  );
}

function writeFiles(dir: string, files: Record<string, string>): void {
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
}

function writeDebugFiles(dir: string, record: AttemptRecord): void {
  writeExchange(dir, record);
  if (record.diff)
    writeFiles(dir, { [record.outcome === "patch_rejected" ? "rejected.diff" : "applied.diff"]: record.diff });
}

/**
 * One model exchange as --debug keeps it: prompt.md (each message after a role comment), reply.md, and
 * verification.txt (the outcome, the errors, then the checks' output). Benchmarks' other arms write theirs so too.
 */
export function writeExchange(
  dir: string,
  exchange: Pick<AttemptRecord, "prompt" | "reply" | "outcome" | "errors" | "verificationOutput">,
): void {
  writeFiles(dir, {
    "prompt.md": exchange.prompt.map((m) => `<!-- ${m.role} -->\n${m.content}`).join("\n\n"),
    "reply.md": exchange.reply,
    "verification.txt": [
      `outcome: ${exchange.outcome}`,
      ...exchange.errors.map((e) => `error: ${e}`),
      "",
      exchange.verificationOutput,
    ].join("\n"),
  });
}
