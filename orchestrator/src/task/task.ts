// The Task: what a developer hands smol-coder. Parsed strictly at the boundary; inside, trust the type.
import { z } from "zod";
import { TaskInvalid } from "../errors.ts";
import { Tier } from "../types.ts";

export const WorkspaceTask = z
  .object({
    kind: z.literal("workspace").optional().describe('"workspace" (the default) or "humaneval"'),
    description: z.string().trim().min(1).describe("What to change, in plain words"),
    filesOwned: z
      .array(z.string().min(1))
      .min(1)
      .describe("Paths relative to the workspace: the only files the model may change or create"),
    verify: z
      .array(z.string().trim().min(1))
      .min(1)
      .optional()
      .describe("Shell commands that must all pass; detected from the workspace when absent"),
    startTier: Tier.optional().describe("Tier of the first attempt; chosen by the router when absent"),
    maxAttempts: z.number().int().min(1).max(100).optional().describe("Overrides the configured attempt limit"),
  })
  .strict();
export type WorkspaceTask = z.infer<typeof WorkspaceTask>;

/** A HumanEval problem: the workspace is made fresh from the problem, and pytest grades it. */
export const HumanEvalTask = z
  .object({
    kind: z.literal("humaneval"),
    problemId: z
      .string()
      .regex(/^[A-Za-z0-9_-]+\/\d+$/, "must look like HumanEval/0")
      .describe("The problem's task_id, e.g. HumanEval/0"),
    dataset: z
      .string()
      .min(1)
      .optional()
      .describe("HumanEval-format JSONL (.gz or plain); default: --dataset or data/HumanEval.jsonl.gz"),
    problem: z
      .object({
        prompt: z.string().min(1).max(200_000),
        entryPoint: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be a Python identifier"),
        test: z.string().min(1).max(1_000_000),
      })
      .strict()
      .optional()
      .describe(
        "The problem itself (never its solution), carried by the task: a daemon on a Redis queue puts it in, so a worker on another machine needs no dataset",
      ),
    startTier: Tier.optional(),
    maxAttempts: z.number().int().min(1).max(100).optional(),
  })
  .strict();
export type HumanEvalTask = z.infer<typeof HumanEvalTask>;

export type Task = WorkspaceTask | HumanEvalTask;

const FIXES: Record<string, string> = {
  description: 'give "description" a non-empty string saying what to change',
  filesOwned: 'give "filesOwned" a non-empty list of workspace-relative paths, e.g. ["src/add.ts"]',
  verify: 'give "verify" a non-empty list of shell commands, e.g. ["npm test"], or leave it out',
  startTier: 'use one of "fast", "deep", "reviewer", or leave it out',
  maxAttempts: "use a whole number from 1 to 100, or leave it out",
  kind: 'use "workspace" (or leave it out) or "humaneval"',
  problemId: 'give "problemId" a HumanEval task id, e.g. "HumanEval/0" (see smol-coder list-problems)',
  dataset: 'give "dataset" the path of a HumanEval JSONL file, or leave it out',
};

/** Parses task JSON text. Throws TaskInvalid naming the first bad field. */
export function parseTask(text: string, source: string): Task {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new TaskInvalid(
      source,
      `is not valid JSON (${detail})`,
      'pass one JSON object, e.g. {"description": "...", "filesOwned": ["a.ts"]}',
    );
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new TaskInvalid(source, "is not a JSON object", "pass one JSON object with description and filesOwned");
  }
  const schema = (raw as { kind?: unknown }).kind === "humaneval" ? HumanEvalTask : WorkspaceTask;
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  if (issue.code === "unrecognized_keys") {
    const keys = issue.keys.join(", ");
    throw new TaskInvalid(
      keys,
      "is not a task field",
      `remove it; allowed fields are ${Object.keys(schema.shape).join(", ")}`,
    );
  }
  const field = issue.path.length > 0 ? issue.path.map(String).join(".") : source;
  const top = String(issue.path[0] ?? "");
  const missing = issue.path.length === 1 && (raw as Record<string, unknown>)[top] === undefined;
  throw new TaskInvalid(
    field,
    missing ? "is required" : issue.message.toLowerCase(),
    FIXES[top] ?? "see the task format in docs/usage.md",
  );
}

/** Reads the task text from --file or stdin. */
export async function readTaskText(
  file: string | undefined,
  stdin: { isTTY?: boolean; text: () => Promise<string> },
): Promise<{ text: string; source: string }> {
  if (file) {
    const handle = Bun.file(file);
    if (!(await handle.exists()))
      throw new TaskInvalid("--file", `${file} does not exist`, "pass the path of a task JSON file");
    return { text: await handle.text(), source: file };
  }
  if (stdin.isTTY) throw new TaskInvalid("task", "no task given", "pipe task JSON on stdin or pass --file task.json");
  const text = await stdin.text();
  if (text.trim() === "")
    throw new TaskInvalid("stdin", "is empty", "pipe task JSON on stdin or pass --file task.json");
  return { text, source: "stdin" };
}
