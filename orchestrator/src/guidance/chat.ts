// Pure: the whole-file coder's conversation, as the field's code-editing tools hold it (Aider's whole-file coder,
// whose benchmark is the field's measure): a system message that asks for each changed file whole, as a *file
// listing*; the files in a message of their own, acknowledged; then the request. The prompts' text is Aider's
// (Apache-2.0), embedded in prompts/chat-*.txt. Both the "chat" layout and the Exercism benchmark's baseline use it,
// so smol-coder's first attempt in that layout, with no spec before it, asks exactly what the baseline's first try
// asks. Retries differ by design: smol-coder starts again from the original files and shows its own history.
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
