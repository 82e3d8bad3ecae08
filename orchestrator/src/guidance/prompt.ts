// Builds the messages for one attempt: the task, every owned file, and what failed before.
import type { EditFormat } from "../patch/types.ts";

import { PROMPTS } from "./prompts/index.ts";
import { exchangeTurns, wholeFileChat, type ChatExchange } from "./chat.ts";
import type { ChatMessage, Tier } from "../types.ts";

const INSTRUCTIONS = PROMPTS.instructions;
const ATTEMPT = PROMPTS.attempt;
const FORMATS: Record<EditFormat, string> = PROMPTS.formats;

/** What an earlier attempt left for the next one to learn from. */
export type AttemptFeedback = {
  attempt: number;
  tier: Tier;
  kind: "patch_rejected" | "verification_failed";
  /** The diff that was applied (verification failures) or the rejected reply's diff, if any. */
  diff: string | null;
  errors: string[];
  /** The chat layout's retry (chat.ts): the reply itself, the engine's remarks on it and the checks' output. */
  exchange?: ChatExchange;
};
export type PromptInput = {
  description: string;
  files: ReadonlyMap<string, string | null>;
  verify: string[];
  feedback: AttemptFeedback[];
  /** The edit format this tier is asked for. */
  format: EditFormat;
  /** The spec and mentor checkpoints so far, rendered (empty when there are none). */
  guidance?: string;
  /** Only the most recent attempts show their diffs, to keep prompts bounded. */
  diffsShown?: number;
  maxDiffChars?: number;
  /**
   * "sections" (headed: task, files, reply), "plain" (the task, the files as listings, the reply's form) or "chat"
   * (the whole-file coder's conversation: its rules as the system message, the files, then the task).
   */
  layout?: PromptLayout;
};
export type PromptLayout = "sections" | "plain" | "chat";

function fence(text: string, language = ""): string {
  const ticks = text.includes("```") ? "````" : "```";
  return `${ticks}${language}\n${text}${text.endsWith("\n") || text === "" ? "" : "\n"}${ticks}`;
}

export function renderFiles(files: ReadonlyMap<string, string | null>): string {
  return [...files]
    .map(([path, content]) =>
      content === null
        ? `## ${path}\n(does not exist yet; create it if the task needs it)`
        : `## ${path}\n${fence(content)}`,
    )
    .join("\n\n");
}

/** The files as whole-file listings: the path alone on a line, then the content fenced with its language. */
export function renderListings(files: ReadonlyMap<string, string | null>): string {
  return [...files]
    .map(([path, content]) =>
      content === null
        ? `${path}\n(does not exist yet; create it if the task needs it)`
        : `${path}\n${fence(content, languageOf(path))}`,
    )
    .join("\n\n");
}

export function renderHistory(feedback: AttemptFeedback[], diffsShown: number, maxDiffChars: number): string {
  if (feedback.length === 0) return "";
  const blocks = feedback.map((item, index) => {
    const what = item.kind === "patch_rejected" ? "its patch was rejected" : "verification failed";
    const lines = [`## Attempt ${item.attempt} (${item.tier} tier): ${what}`];
    if (item.diff && index >= feedback.length - diffsShown) {
      const diff = item.diff.length > maxDiffChars ? `${item.diff.slice(0, maxDiffChars)}\n… (truncated)` : item.diff;
      lines.push(item.kind === "patch_rejected" ? "Rejected diff:" : "Applied diff (now undone):", fence(diff, "diff"));
    }
    lines.push("Errors:", ...item.errors.map((error) => `- ${error}`));
    return lines.join("\n");
  });
  return [
    "",
    "# Earlier attempts",
    "Each attempt started from the files above; they are unchanged. Fix what went wrong.",
    "",
    blocks.join("\n\n"),
    "",
  ].join("\n");
}

/**
 * Pure: the history cut down for a prompt that did not fit the tier's context: the last attempt only, without its
 * diff, each error at most `maxErrorChars`. A second attempt of the 0.5B (4,096 tokens) on Exercism's beer-song was
 * refused at 4,064 tokens, the first attempt's diff and errors in it; the task and the files are never cut.
 */
export function shortenedHistory(feedback: readonly AttemptFeedback[], maxErrorChars = 600): AttemptFeedback[] {
  const last = feedback.at(-1);
  if (!last) return [];
  const cut = (error: string) =>
    error.length > maxErrorChars ? `${error.slice(0, maxErrorChars)}… (cut to fit)` : error;
  const { exchange: _left, ...told } = last; // a reply of its own would not fit either
  return [{ ...told, diff: null, errors: last.errors.slice(0, 5).map(cut) }];
}

function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (_, name: string) => values[name] ?? "");
}

const LANGUAGES: Record<string, string> = {
  py: "python",
  ts: "ts",
  tsx: "tsx",
  js: "js",
  jsx: "jsx",
  go: "go",
  rs: "rust",
  java: "java",
  rb: "ruby",
  sh: "sh",
};

/**
 * The format's instructions, its example naming a file the task owns: with a made-up path in the example
 * (src/example.py), Qwen2.5-Coder-1.5B wrote that path on its whole-file replies, which were then refused.
 */
export function formatText(format: EditFormat, path: string): string {
  return fill(FORMATS[format], { path, language: languageOf(path) }).trim();
}

function languageOf(path: string): string {
  return LANGUAGES[path.split(".").at(-1) ?? ""] ?? "";
}

export function buildMessages(input: PromptInput): ChatMessage[] {
  if (input.layout === "plain") return [{ role: "user", content: plainPrompt(input) }];
  if (input.layout === "chat") return chatMessages(input);
  const user = fill(ATTEMPT, {
    description: input.description,
    guidance: input.guidance ? `\n${input.guidance}\n` : "",
    files: renderFiles(input.files),
    history: renderHistory(input.feedback, input.diffsShown ?? 2, input.maxDiffChars ?? 4_000),
    verify: input.verify.map((command) => `\`${command}\``).join(", "),
  });
  const instructions = fill(INSTRUCTIONS, {
    format: formatText(input.format, [...input.files.keys()][0] ?? "PATH"),
  }).trim();
  // One user message and no system message, so the model's chat template supplies its own default system prompt,
  // the way its makers evaluate it: measured on Qwen2.5-Coder-0.5B, HumanEval 0-39, whole-file, one attempt,
  // 29/40 passed against 27/40 with these instructions as a system message (bench/formats.ts --formats whole).
  // The task comes first: with the files first, 24/40 (more replies echoed the file unchanged).
  return [{ role: "user", content: `${user.trimEnd()}\n\n${instructions}` }];
}

/**
 * The plain layout, the way a model's makers ask it: the task, then each file as the listing a whole-file reply
 * repeats (path, then a fence with the language), then the reply's form. With one file and whole files asked, the
 * form goes unsaid: any block is read as that file (unnamed.ts), and the 0.5B told the form wrote shorter code that
 * failed more often (HumanEval 0-55, first attempts, the makers' question as the task: 49/56 unsaid, 44/56 said).
 */
function plainPrompt(input: PromptInput): string {
  const owned = [...input.files.keys()];
  const reply =
    input.format === "whole" && owned.length === 1
      ? ""
      : fill(PROMPTS.replyPlain, {
          format:
            input.format === "whole" ? PROMPTS.formatWholePlain.trim() : formatText(input.format, owned[0] ?? "PATH"),
          owned: owned.join(", "),
        });
  // The template's empty parts leave runs of blank lines, closed up here; the files, the guidance and the history
  // go in afterwards, so a file is shown with its own blank lines (two between Python functions stay two).
  const verbatim = {
    files: renderListings(input.files),
    guidance: input.guidance ? `\n${input.guidance}\n` : "",
    history: renderHistory(input.feedback, input.diffsShown ?? 2, input.maxDiffChars ?? 4_000),
  };
  const slot = (name: string) => `\u0000${name}\u0000`;
  const glue = fill(PROMPTS.attemptPlain, {
    description: input.description.trim(),
    reply,
    ...Object.fromEntries(Object.keys(verbatim).map((name) => [name, slot(name)])),
  })
    .replace(/\n{3,}/g, "\n\n")
    .trim();
  return glue.replace(/\u0000(\w+)\u0000/g, (_, name: keyof typeof verbatim) => verbatim[name]);
}

/**
 * The chat layout's request: the task, the spec and mentor notes, then what failed before. The files and the reply's
 * form are in the conversation's earlier messages (chat.ts), so the first attempt asks what the field's tools ask.
 */
function chatRequest(input: PromptInput, feedback: AttemptFeedback[]): string {
  const history = renderHistory(feedback, input.diffsShown ?? 2, input.maxDiffChars ?? 4_000);
  return [input.description.trim(), input.guidance?.trim() ?? "", history.trim()].filter(Boolean).join("\n\n");
}

/**
 * The chat layout's conversation: the request, then the last attempts (as many as show their diffs elsewhere) as
 * the model's replies, each answered with what the checks said, as Aider's retry holds it. Older attempts, and
 * any kept without its reply (a history cut to fit), are told in the request as the other layouts tell them.
 */
function chatMessages(input: PromptInput): ChatMessage[] {
  const shown = input.diffsShown ?? 2;
  const recent = input.feedback.slice(-shown);
  const asTurns = recent.every((item) => item.exchange !== undefined) ? recent : [];
  const told = input.feedback.slice(0, input.feedback.length - asTurns.length);
  const names = [...input.files.keys()].join(" ");
  // The files as the last reply left them, as Aider shows them after writing its edit (a whole-file reply is whole
  // whichever version it starts from); the attempts older than the turns are told without their diffs then.
  const left = asTurns.at(-1)?.exchange?.files;
  const files = left
    ? new Map([...input.files].map(([name, content]) => [name, name in left ? left[name]! : content]))
    : input.files;
  return wholeFileChat(files, [
    { role: "user", content: chatRequest({ ...input, diffsShown: asTurns.length > 0 ? 0 : input.diffsShown }, told) },
    ...asTurns.flatMap((item) => exchangeTurns(item.exchange!, names)),
  ]);
}
