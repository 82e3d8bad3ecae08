// Pure: the messages of the field's baseline (Aider's benchmark, whole-file edit format) and how its replies are
// read. The system prompt and the files message are Aider's whole-file coder's (guidance/chat.ts); the instructions and the
// test-failure message are protocol.ts's. A reply's file listings are read the way that coder reads them: a
// fenced block after a line naming the file, or, with one file in the chat, a block that names none.
import { parseWholeFiles } from "../../patch/formats.ts";
import type { ChatMessage } from "../../types.ts";
import { wholeFileChat } from "../../guidance/chat.ts";

const FENCE = /^(`{3,}|~{3,})([^\n]*)\n([\s\S]*?)^\1[ \t]*$/gm;

/** Pure: the conversation for one try: the files as they are now, then every instruction and reply so far. */
export function aiderMessages(files: ReadonlyMap<string, string>, turns: readonly ChatMessage[]): ChatMessage[] {
  return wholeFileChat(files, turns);
}

/** Pure: the new content of each editable file a reply lists (the last listing of a file wins); other names are ignored. */
export function readListings(reply: string, editable: readonly string[]): Map<string, string> {
  const text = reply.replaceAll("\r\n", "\n");
  const byName = new Map<string, string>();
  const resolve = (name: string) =>
    editable.find((file) => file === name || file.split("/").at(-1) === name.split("/").at(-1)) ?? null;
  for (const edit of parseWholeFiles(text)) {
    if (edit.kind !== "whole") continue;
    const file = resolve(edit.name);
    if (file) byName.set(file, edit.content);
  }
  if (byName.size === 0 && editable.length === 1) {
    const blocks = [...text.matchAll(FENCE)].map((match) => match[3]!).filter((body) => body.trim() !== "");
    if (blocks.length > 0) byName.set(editable[0]!, blocks.at(-1)!);
  }
  return byName;
}
