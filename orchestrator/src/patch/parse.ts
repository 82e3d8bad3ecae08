// Pure: a lenient unified-diff parser. Line numbers and counts are read only as hints; bodies decide.
import type { FileEdit, Hunk, HunkLine } from "./types.ts";

const HUNK_HEADER = /^@@/;
const RANGES = /^@@+\s*-(\d+)(?:,\d+)?\s+\+\d+(?:,\d+)?\s*@@/;
const GIT_HEADER = /^diff --git ("?a\/.+?"?) ("?b\/.+?"?)$/;
const ODD_MODE = /^(old mode|new mode) \d+|^new file mode (?!100644)\d+/;

type Draft = { oldName: string; newName: string; hunks: Hunk[]; modeChange: boolean; gitNames?: [string, string] };

function isFileStart(lines: string[], index: number): boolean {
  return lines[index]!.startsWith("--- ") && (lines[index + 1] ?? "").startsWith("+++ ");
}

function newHunk(number: number, header: string): Hunk {
  const ranges = RANGES.exec(header);
  const start = ranges ? Number(ranges[1]) : NaN;
  return {
    number,
    header: header.trim(),
    hint: start > 0 ? start - 1 : null,
    lines: [],
    oldNoNewline: false,
    newNoNewline: false,
  };
}

function classify(line: string): HunkLine {
  if (line === "") return { kind: "bare", text: "" };
  const first = line[0];
  if (first === " ") return { kind: "keep", text: line.slice(1) };
  if (first === "-") return { kind: "del", text: line.slice(1) };
  if (first === "+") return { kind: "add", text: line.slice(1) };
  return { kind: "bare", text: line };
}

function markNoNewline(hunk: Hunk): void {
  const previous = hunk.lines.at(-1);
  if (!previous) return;
  if (previous.kind !== "add") hunk.oldNoNewline = true;
  if (previous.kind !== "del") hunk.newNoNewline = true;
}

/** Blank lines after a hunk's body are usually the gap before prose or the next section. */
function trimTrailingBlank(hunk: Hunk): void {
  while (hunk.lines.at(-1)?.kind === "bare" && hunk.lines.at(-1)!.text === "") hunk.lines.pop();
}

export function parseUnifiedDiff(text: string): FileEdit[] {
  const lines = text.replaceAll("\r\n", "\n").split("\n");
  const files: Draft[] = [];
  let file: Draft | null = null;
  let hunk: Hunk | null = null;
  let hunkCount = 0;
  const closeHunk = () => {
    if (hunk && file) {
      trimTrailingBlank(hunk);
      if (hunk.lines.length > 0) file.hunks.push(hunk);
    }
    hunk = null;
  };
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!;
    const git = GIT_HEADER.exec(line);
    if (git) {
      closeHunk();
      file = { oldName: git[1]!, newName: git[2]!, hunks: [], modeChange: false, gitNames: [git[1]!, git[2]!] };
      files.push(file);
      continue;
    }
    if (isFileStart(lines, index)) {
      closeHunk();
      const oldName = line.slice(4);
      const newName = lines[index + 1]!.slice(4);
      // A `diff --git` line just before belongs to this file; otherwise this starts a new one.
      if (!file || file.hunks.length > 0 || !file.gitNames) {
        file = { oldName, newName, hunks: [], modeChange: false };
        files.push(file);
      } else {
        Object.assign(file, { oldName, newName });
      }
      index++;
      continue;
    }
    if (/^(={3,}|Index: .*)$/.test(line)) {
      closeHunk(); // separators some tools print between files
      continue;
    }
    if (!file) continue; // prose before the first header
    if (HUNK_HEADER.test(line)) {
      closeHunk();
      hunk = newHunk(++hunkCount, line);
      continue;
    }
    if (!hunk) {
      if (ODD_MODE.test(line)) file.modeChange = true;
      // Some models skip the @@ line: a body line right after the headers starts an unnumbered hunk.
      if (/^[-+ ]/.test(line)) {
        hunk = newHunk(++hunkCount, "@@");
        hunk.lines.push(classify(line));
      }
      continue;
    }
    if (line.startsWith("\\")) {
      markNoNewline(hunk);
      continue;
    }
    if (ODD_MODE.test(line) || /^(index [0-9a-f]+\.\.|similarity index|rename (from|to) )/.test(line)) continue;
    hunk.lines.push(classify(line));
  }
  closeHunk();
  return files.map(({ oldName, newName, hunks, modeChange }) => ({
    kind: "hunks",
    oldName,
    newName,
    hunks,
    modeChange,
  }));
}
