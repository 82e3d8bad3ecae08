// Pure: the other edit formats a reply may use — search/replace blocks and whole-file blocks — as typed edits.
import type { FileEdit, Hunk } from "./types.ts";

const SEARCH = /^<{5,9} ?SEARCH\s*$/;
const DIVIDER = /^={5,9}\s*$/;
const REPLACE = /^>{5,9} ?REPLACE\s*$/;
const FENCE = /^(`{3,}|~{3,})(.*)$/;

/** A line that names a file: `path`, **path**, File: path, # path, path: */
export function pathFromLine(line: string): string | null {
  const cleaned = line
    .trim()
    .replace(/^(#+|\/\/|File:|Filename:|Path:)\s*/i, "")
    .replace(/^[*`'"]+|[*`'":]+$/g, "")
    .trim();
  return /^[\w./@+-]+$/.test(cleaned) && /[./]/.test(cleaned) ? cleaned : null;
}

export function hasSearchReplace(text: string): boolean {
  return text.split("\n").some((line) => SEARCH.test(line));
}

/**
 * Aider-style blocks: a path line, then SEARCH / ======= / REPLACE. A block without a path reuses the last one;
 * before any path, `defaultPath` (the one owned file, when there is one) or none.
 */
export function parseSearchReplace(text: string, defaultPath: string | null = null): FileEdit[] {
  const lines = text.replaceAll("\r\n", "\n").split("\n");
  const byPath = new Map<string, Hunk[]>();
  let path: string | null = defaultPath;
  let count = 0;
  for (let index = 0; index < lines.length; index++) {
    if (!SEARCH.test(lines[index]!)) {
      const named = FENCE.test(lines[index]!) ? null : pathFromLine(lines[index]!);
      if (named) path = named;
      continue;
    }
    const divider = lines.findIndex((line, at) => at > index && DIVIDER.test(line));
    const end = lines.findIndex((line, at) => at > divider && REPLACE.test(line));
    if (divider < 0 || end < 0 || path === null) break;
    const search = lines.slice(index + 1, divider);
    const replace = lines.slice(divider + 1, end);
    const hunk: Hunk = {
      number: ++count,
      header: `SEARCH/REPLACE block ${count}`,
      hint: null,
      lines: [
        ...search.map((text) => ({ kind: "del" as const, text })),
        ...replace.map((text) => ({ kind: "add" as const, text })),
      ],
      oldNoNewline: false,
      newNoNewline: false,
    };
    byPath.set(path, [...(byPath.get(path) ?? []), hunk]);
    index = end;
  }
  return [...byPath].map(([name, hunks]) => {
    const creates = hunks.length === 1 && hunks[0]!.lines.every((line) => line.kind === "add");
    return { kind: "hunks", oldName: creates ? "/dev/null" : name, newName: name, hunks, modeChange: false };
  });
}

/** Fenced blocks naming a file (in the info string, or on the line before) hold its complete new content. */
export function parseWholeFiles(text: string): FileEdit[] {
  return wholeFileBlocks(text).edits;
}

/** The reply without the blocks that name a file: what is left for a block that names none (unnamed.ts). */
export function withoutNamedBlocks(text: string): string {
  return wholeFileBlocks(text).rest;
}

function wholeFileBlocks(text: string): { edits: FileEdit[]; rest: string } {
  const lines = text.replaceAll("\r\n", "\n").split("\n");
  const edits: FileEdit[] = [];
  const rest: string[] = [];
  let copied = 0;
  for (let index = 0; index < lines.length; index++) {
    const open = FENCE.exec(lines[index]!);
    if (!open) continue;
    const close = lines.findIndex((line, at) => at > index && line.trim() === open[1]);
    if (close < 0) break;
    const info = open[2]!.trim().split(/\s+/);
    const language = info[0] ?? "";
    const previous = lines.slice(0, index).findLast((line) => line.trim() !== "") ?? "";
    const name =
      info.slice(1).map(pathFromLine).find(Boolean) ??
      (info.length === 1 && pathFromLine(language) && language.includes("/") ? language : null) ??
      pathFromLine(previous);
    if (name && !/^(diff|patch)$/i.test(language)) {
      edits.push({ kind: "whole", name, content: lines.slice(index + 1, close).join("\n") + "\n" });
      rest.push(...lines.slice(copied, index));
      copied = close + 1;
    }
    index = close;
  }
  rest.push(...lines.slice(copied));
  return { edits, rest: rest.join("\n") };
}
