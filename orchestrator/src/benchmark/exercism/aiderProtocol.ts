// Pure: the messages of the field's baseline (Aider's benchmark, whole-file edit format) and how its replies are
// read. The system prompt and the files message are Aider's whole-file coder's (guidance/chat.ts); the instructions and the
// test-failure message are protocol.ts's. A reply's file listings are read the way that coder reads them: a
// fenced block after a line naming the file, or, with one file in the chat, a block that names none; and, as that
// coder writes what it has when a reply ends inside a listing (a reply cut at its token cap), an unclosed last block.
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
  const open = unclosedListing(text);
  if (open) {
    const file = open.name === "" ? (editable.length === 1 ? editable[0]! : null) : resolve(open.name);
    if (file) byName.set(file, open.content);
  }
  return byName;
}

/**
 * Pure: the listing a reply ends inside, as Aider's whole-file coder reads lines: every line that starts with ```
 * opens or closes a block, the line before an opening names its file (blank: no name). Null when every block closes.
 */
export function unclosedListing(text: string): { name: string; content: string } | null {
  const lines = text.split("\n");
  let opened = -1;
  for (let index = 0; index < lines.length; index++) {
    if (!lines[index]!.startsWith("```")) continue;
    opened = opened < 0 ? index : -1;
  }
  if (opened < 0) return null;
  return { name: aiderFileName(lines[opened - 1] ?? ""), content: lines.slice(opened + 1).join("\n") };
}

/** Pure: the name on the line before a block, cleaned as Aider's whole-file coder cleans it (**a.py**, a.py:, `a.py`, # a.py). */
function aiderFileName(line: string): string {
  return line
    .trim()
    .replace(/^\*+|\*+$/g, "")
    .replace(/:+$/, "")
    .replace(/^`+|`+$/g, "")
    .replace(/^#+/, "")
    .trim();
}
