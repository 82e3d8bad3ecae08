// Pure: a reply that names no file while exactly one is owned. Small models answer with one code block and no
// path line ("```python" and the file), or a "```diff" block holding the file's lines with no diff headers.
// The block is that file's edit, read like an unmarked hunk: where its lines sit in the file decides where the new
// ones go. Blocks that are plainly not the file (shell, output, data) are passed over; if more than one could be
// the file and what they define does not say which (definitions.ts), the reply is refused with a reason naming the fix.
import { PatchRejected } from "../errors.ts";
import { fileInBlocks } from "./definitions.ts";
import type { FileEdit, Hunk, HunkLine } from "./types.ts";
import { CODE_BLOCK } from "./unmarked.ts";

const FENCE = /^(`{3,}|~{3,})([^\n]*)\n([\s\S]*?)^\1[ \t]*$/gm;
const NOT_CODE =
  /^(bash|sh|shell|zsh|console|terminal|text|txt|plaintext|output|log|json|yaml|yml|toml|ini|xml|html|markdown|md)$/i;
const DIFF = /^(diff|patch|udiff)$/i;

type Block = { language: string; lines: string[] };

function blocks(text: string): Block[] {
  return [...text.matchAll(FENCE)].map((match) => ({
    language: match[2]!.trim().split(/\s+/)[0] ?? "",
    lines: match[3]!.replace(/\n$/, "").split("\n"),
  }));
}

/** A diff block's line: its first character is a mark (+, -, space) only where the block marks lines at all. */
function hunkLine(line: string, marked: boolean): HunkLine {
  if (line === "") return { kind: "bare", text: "" };
  if (marked && line[0] === "+") return { kind: "add", text: line.slice(1) };
  if (marked && line[0] === "-") return { kind: "del", text: line.slice(1) };
  if (line[0] === " ") return { kind: "keep", text: line.slice(1) };
  return { kind: "bare", text: line };
}

function toHunk(block: Block): Hunk {
  const isDiff = DIFF.test(block.language);
  const marked = isDiff && block.lines.some((line) => /^[+-]/.test(line) && !/^(\+\+\+|---) /.test(line));
  // A code block's lines are all as written: a leading space is indentation, never a diff prefix.
  const lines = isDiff
    ? block.lines.map((line) => hunkLine(line, marked))
    : block.lines.map((text) => ({ kind: "bare" as const, text }));
  return {
    number: 1,
    header: isDiff ? "the ```diff block (no headers)" : CODE_BLOCK,
    hint: null,
    lines,
    oldNoNewline: false,
    newNoNewline: false,
  };
}

/** The edit of `path` a reply without file names holds, or none. */
export function unnamedEdits(text: string, path: string, current: string | null): FileEdit[] {
  const candidates = blocks(text).filter(
    (block) => !NOT_CODE.test(block.language) && block.lines.some((line) => line.trim() !== ""),
  );
  if (candidates.length === 0) return [];
  let chosen = candidates;
  if (candidates.length > 1 && current !== null) {
    const fileLines = new Set(
      current
        .split("\n")
        .map((line) => line.trim())
        .filter(Boolean),
    );
    chosen = candidates.filter((block) => block.lines.some((line) => fileLines.has(line.trim())));
  }
  // Several could be the file: the one that defines all it defines, or pieces that each define some of it.
  const inBlocks =
    chosen.length !== 1 && candidates.length > 1 && current !== null
      ? fileInBlocks(current.split("\n"), candidates)
      : null;
  if (inBlocks)
    chosen = [
      {
        language: inBlocks[0]!.language,
        lines: inBlocks.flatMap((block, at) => (at === 0 ? block.lines : ["", "", ...block.lines])),
      },
    ];
  if (chosen.length !== 1) {
    throw new PatchRejected(
      `the reply has ${candidates.length} code blocks and names no file, so which one is ${path} is unclear; put the path alone on the line above the block that holds the whole file`,
      path,
    );
  }
  return [
    { kind: "hunks", oldName: path, newName: path, hunks: [toHunk(chosen[0]!)], modeChange: false, unnamed: true },
  ];
}
