// Progressive spec disclosure, the pure part: what the spec writer and the mentor are asked, how their
// replies are read, and how the guidance so far is shown to the next attempt.
import { createHash } from "node:crypto";
import { renderFiles, renderHistory, type AttemptFeedback } from "./prompt.ts";

import { PROMPTS } from "./prompts/index.ts";
import { CheckpointSections, type ChatMessage, type Checkpoint, type CheckpointStage } from "../types.ts";

const SPEC_WRITER = PROMPTS.specWriter;
const MENTOR = PROMPTS.mentor;
const MENTOR_EXTRA = { strategy: PROMPTS.mentorStrategy, "test-criteria": PROMPTS.mentorTestCriteria, debugging: "" };

/** Changes whenever the spec writer's prompt does, so a stored spec is reused only for the same prompt. */
export const SPEC_PROMPT_VERSION = createHash("sha256").update(SPEC_WRITER).digest("hex").slice(0, 12);

export function stageFor(checkpointNumber: number): CheckpointStage {
  if (checkpointNumber <= 1) return "strategy";
  return checkpointNumber === 2 ? "test-criteria" : "debugging";
}

export type Guidance = { spec: string | null; checkpoints: Checkpoint[] };

const HEADINGS: [keyof CheckpointSections, RegExp][] = [
  ["analysis", /failing[- ]test analysis|test analysis|analysis/i],
  ["rootCause", /root cause/i],
  ["fix", /proposed fix|fix/i],
  ["edgeCases", /edge cases/i],
  ["strategy", /strategy/i],
  ["testCriteria", /test criteria/i],
];

function sectionKey(heading: string): keyof CheckpointSections | null {
  // Most specific first: "Test criteria" must not be read as "analysis" or "fix".
  for (const key of ["testCriteria", "edgeCases", "rootCause", "strategy", "analysis", "fix"] as const) {
    if (HEADINGS.find(([name]) => name === key)![1].test(heading)) return key;
  }
  return null;
}

/**
 * Reads a mentor reply into its sections. Headings may be markdown (#, ##) or bold lines; text before any
 * heading, or under an unknown one, counts as analysis so nothing the mentor wrote is lost. Sections the
 * stage did not ask for are dropped: checkpoint 3 cannot add test criteria.
 */
export function parseCheckpoint(text: string, stage: CheckpointStage): CheckpointSections {
  const parts: Record<string, string[]> = { analysis: [] };
  let current: keyof CheckpointSections = "analysis";
  for (const line of text.split("\n")) {
    const heading = /^\s*(?:#{1,4}\s*(.+?)\s*#*\s*$|\*\*(.+?)\*\*:?\s*$)/.exec(line);
    const key = heading ? sectionKey(heading[1] ?? heading[2] ?? "") : null;
    if (key) {
      current = key;
      parts[current] ??= [];
      continue;
    }
    (parts[current] ??= []).push(line);
  }
  const get = (key: keyof CheckpointSections) => (parts[key] ?? []).join("\n").trim();
  return CheckpointSections.parse({
    analysis: get("analysis"),
    rootCause: get("rootCause"),
    fix: get("fix"),
    edgeCases: get("edgeCases"),
    ...(stage === "strategy" && get("strategy") ? { strategy: get("strategy") } : {}),
    ...(stage === "test-criteria" && get("testCriteria") ? { testCriteria: get("testCriteria") } : {}),
  });
}

/** The spec is analysis and contract only: fenced code is removed, whatever the model wrote. */
export function cleanSpec(text: string): string {
  return text
    .replace(/(`{3,})[^\n]*\n[\s\S]*?\n\1[^\n]*(\n|$)/g, "")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}

export type AdviceInput = { description: string; files: ReadonlyMap<string, string | null> };

function taskBlock(input: AdviceInput): string {
  return `# Task\n${input.description}\n\n# Files\n${renderFiles(input.files)}`;
}

export function specMessages(input: AdviceInput): ChatMessage[] {
  return [
    { role: "system", content: SPEC_WRITER.trim() },
    { role: "user", content: `${taskBlock(input)}\n\nWrite the specification.` },
  ];
}

/** The stored spec's key: the same problem text, spec model and prompt version give the same key. */
export function specKey(input: AdviceInput, model: string): string {
  const hash = createHash("sha256");
  hash.update(input.description).update("\0");
  for (const [path, content] of [...input.files].sort(([a], [b]) => a.localeCompare(b)))
    hash
      .update(path)
      .update("\0")
      .update(content ?? "\0absent")
      .update("\0");
  return hash.update(model).update("\0").update(SPEC_PROMPT_VERSION).digest("hex");
}

export function mentorMessages(
  input: AdviceInput & { guidance: Guidance; feedback: AttemptFeedback[]; stage: CheckpointStage },
): ChatMessage[] {
  const earlier = renderGuidance(input.guidance, 3);
  const user = [
    taskBlock(input),
    earlier ? `\n${earlier}` : "",
    renderHistory(input.feedback, input.feedback.length, 4_000),
    "Write the checkpoint.",
  ].join("\n");
  return [
    { role: "system", content: MENTOR.replace("{{extra}}", MENTOR_EXTRA[input.stage]).trim() },
    { role: "user", content: user },
  ];
}

function section(title: string, body: string | undefined): string[] {
  return body ? [`## ${title}`, body, ""] : [];
}

/**
 * What the next attempt sees. Guidance accumulates: the spec, checkpoint 1's strategy and checkpoint 2's test
 * criteria stay in every later prompt; of the four-part reviews only the latest `reviewsShown` are shown.
 */
export function renderGuidance(guidance: Guidance, reviewsShown: number): string {
  const strategy = guidance.checkpoints.find((c) => c.sections.strategy)?.sections.strategy;
  const criteria = guidance.checkpoints.find((c) => c.sections.testCriteria)?.sections.testCriteria;
  const reviews = guidance.checkpoints
    .slice(-reviewsShown)
    .flatMap((c) => [
      `## Mentor review ${c.n} (after attempt ${c.afterAttempt})`,
      ...section("Failing-test analysis", c.sections.analysis).map((l) => l.replace(/^## /, "### ")),
      ...section("Root cause", c.sections.rootCause).map((l) => l.replace(/^## /, "### ")),
      ...section("Proposed fix", c.sections.fix).map((l) => l.replace(/^## /, "### ")),
      ...section("Edge cases to verify", c.sections.edgeCases).map((l) => l.replace(/^## /, "### ")),
    ]);
  const lines = [
    ...section("Specification", guidance.spec ?? undefined),
    ...section("Strategy (mentor, checkpoint 1)", strategy),
    ...section("Test criteria (mentor, checkpoint 2)", criteria),
    ...reviews,
  ];
  return lines.length === 0 ? "" : `# Guidance\n${lines.join("\n").trim()}\n`;
}

/**
 * Pure: whether a checkpoint is due before the next attempt. At every escalation; and, with an interval K,
 * after every K failed attempts within one tier (for long runs at one tier).
 */
export function checkpointDue(input: { escalating: boolean; failuresAtTier: number; interval: number }): boolean {
  if (input.escalating) return true;
  return input.interval > 0 && input.failuresAtTier > 0 && input.failuresAtTier % input.interval === 0;
}
