// Pure: the whole-file coder's conversation, as the field's code-editing tools hold it (Aider's whole-file coder,
// whose benchmark is the field's measure): a system message that asks for each changed file whole, as a *file
// listing*; the files in a message of their own, acknowledged; then the request. The prompts' text is Aider's
// (Apache-2.0), embedded in prompts/chat-*.txt. Both the "chat" layout and the Exercism benchmark's baseline use it,
// so smol-coder's first attempt in that layout, with no spec before it, asks exactly what the baseline's first try
// asks. A retry goes on the same conversation as Aider's does: the last replies as the assistant's turns, each
// answered with what the checks said (the first 50 lines of the failing output and Aider's fixed paragraph), the
// files shown as they were (every attempt starts from them).
import type { ChatMessage } from "../types.ts";
import { PROMPTS } from "./prompts/index.ts";

/** What the model answers to the files message (Aider's words). */
export const CHAT_ACKNOWLEDGEMENT = "Ok, any changes I propose will be to those files.";

/** Pure: the files as the whole-file coder shows them: the name on a line, then the content in a bare fence. */
export function fileListings(files: ReadonlyMap<string, string | null>): string {
  return [...files]
    .map(([name, content]) =>
      content === null
        ? `${name}\n(does not exist yet; create it if the task needs it)`
        : `${name}\n\`\`\`\n${content}${content.endsWith("\n") ? "" : "\n"}\`\`\``,
    )
    .join("\n\n");
}

/** Pure: the conversation for one try: the rules, the files as they are now, the acknowledgement, then the turns. */
export function wholeFileChat(files: ReadonlyMap<string, string | null>, turns: readonly ChatMessage[]): ChatMessage[] {
  return [
    { role: "system", content: PROMPTS.chatSystem.trim() },
    { role: "user", content: PROMPTS.chatFiles.replace("{{files}}", fileListings(files)).trim() },
    { role: "assistant", content: CHAT_ACKNOWLEDGEMENT },
    ...turns,
  ];
}

/** How many lines of test output a failed try is shown (Aider's benchmark). */
export const TEST_OUTPUT_LINES = 50;

/** Pure: what a failed try is told (Aider's benchmark): the first 50 lines of the test output, then the fixed paragraph. */
export function testFailureMessage(output: string, files: string): string {
  const head = output.split("\n").slice(0, TEST_OUTPUT_LINES).join("\n").trimEnd();
  return [
    head,
    "",
    "####",
    "",
    "See the testing errors above.",
    "The tests are correct, don't try and change them.",
    `Fix the code in ${files} to resolve the errors.`,
  ].join("\n");
}

/** Pure: the output of the checks without the "$ command" lines verification adds. */
export function failedOutput(output: string): string {
  return output
    .split("\n")
    .filter((line) => !line.startsWith("$ "))
    .join("\n")
    .trim();
}

/** What a retry in the chat layout needs of an earlier attempt: its reply and what answered it. */
export type ChatExchange = {
  reply: string;
  /** The engine's remarks on the reply (a refusal, files left out, nothing changed), said before the output. */
  notes: readonly string[];
  /** The output of the check that failed on the files the reply left ("" when none failed or it printed nothing). */
  output: string;
  /** The owned files as the reply left them, where it changed any: the conversation shows them, as Aider's does. */
  files?: Readonly<Record<string, string | null>>;
  /** The checks' errors: none when they passed or did not run (the notes say it all then); shown when no output. */
  errors: readonly string[];
};

/** Pure: an earlier attempt as two turns of the conversation: the model's reply, then what the checks said of it. */
export function exchangeTurns(exchange: ChatExchange, files: string): ChatMessage[] {
  const output = exchange.errors.length === 0 ? "" : failedOutput(exchange.output);
  // The errors say what no output shows: a check that printed nothing, a timeout, a rewritten grading config.
  const shown = output === "" ? exchange.errors.map((error) => `- ${error}`).join("\n") : output;
  const said = [exchange.notes.join("\n"), shown === "" ? "" : testFailureMessage(shown, files)].filter(Boolean);
  return [
    { role: "assistant", content: exchange.reply.trim() === "" ? "(no reply)" : exchange.reply },
    { role: "user", content: said.length > 0 ? said.join("\n\n") : `The checks failed. Fix the code in ${files}.` },
  ];
}

/** Pure: the output of one command out of verification's output ("$ command" before each): the one that failed. */
export function commandSection(output: string, command: string): string {
  const lines = output.split("\n");
  const start = lines.indexOf(`$ ${command}`);
  if (start < 0) return "";
  const end = lines.findIndex((line, index) => index > start && line.startsWith("$ "));
  return lines
    .slice(start + 1, end < 0 ? undefined : end)
    .join("\n")
    .trim();
}
