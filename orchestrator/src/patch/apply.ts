// Pure: locate every hunk of one file by content, then apply them in file order. All or nothing.
import { PatchRejected } from "../errors.ts";
import { findMatches, nearestStart, occursInFile, pickMatch, reindent, type Match } from "./match.ts";
import type { FileText } from "./text.ts";
import type { Hunk, HunkLine } from "./types.ts";

type Resolved = { kind: "keep" | "del" | "add"; text: string };
type Located = { hunk: Hunk; label: string; lines: Resolved[]; match: Match; oldLength: number };
type Failure = { label: string; problem: "not found" | "ambiguous"; starts: number[]; block: string[] };

const MAX_INVENTED_CONTEXT = 2;
const COMMENT = /^\s*(#|\/\/|\/\*|\*|--)/;
const oldSide = (lines: Resolved[]) => lines.filter((line) => line.kind !== "add").map((line) => line.text);
const bareAs = (lines: HunkLine[], kind: (line: HunkLine) => Resolved["kind"]): Resolved[] =>
  lines.map((line) => (line.kind === "bare" ? { kind: kind(line), text: line.text } : (line as Resolved)));

/** Readings of a hunk, most literal first: how the model wrote it, then the usual repairs. */
function readings(hunk: Hunk, fileLines: string[]): Resolved[][] {
  const asContext = bareAs(hunk.lines, () => "keep");
  const out: Resolved[][] = [asContext];
  const hasBareText = hunk.lines.some((line) => line.kind === "bare" && line.text.trim() !== "");
  // New lines that lost their `+`: a bare line that is nowhere in the file was meant to be added.
  if (hasBareText)
    out.push(
      bareAs(hunk.lines, (line) => (line.text.trim() === "" || occursInFile(fileLines, line.text) ? "keep" : "add")),
    );
  // A hunk with no +/- lines at all never gets here: unmarked.ts reads it, or refuses it.
  // Context the model invented: drop context lines that occur nowhere in the file, when they are a comment or two (a
  // hallucinated comment). A code line marked as context is code the model meant to keep (Qwen2.5-Coder-1.5B marked
  // its new docstring and return line so): dropping it would lose it, so the hunk is refused instead.
  for (const base of [...out]) {
    const kept = base.filter(
      (line) => line.kind !== "keep" || line.text.trim() === "" || occursInFile(fileLines, line.text),
    );
    const dropped = base.filter((line) => !kept.includes(line));
    if (
      dropped.length > 0 &&
      dropped.length <= MAX_INVENTED_CONTEXT &&
      dropped.every((line) => COMMENT.test(line.text))
    )
      out.push(kept);
  }
  // Shrink context from the edges (skipped lines near the ends of the hunk). Only lines the file has, or comments:
  // a context line that is nowhere in the file is new code marked wrong, and cutting it would lose it.
  const cuttable = (line: Resolved) =>
    line.text.trim() === "" || occursInFile(fileLines, line.text) || COMMENT.test(line.text);
  for (const base of [...out]) {
    const lead = base.findIndex((line) => line.kind !== "keep");
    const trail = [...base].reverse().findIndex((line) => line.kind !== "keep");
    if (lead < 0) continue;
    for (let total = 1; total <= lead + trail; total++) {
      for (let cutStart = Math.min(total, lead); cutStart >= 0 && total - cutStart <= trail; cutStart--) {
        const end = base.length - (total - cutStart);
        if ([...base.slice(0, cutStart), ...base.slice(end)].every(cuttable)) out.push(base.slice(cutStart, end));
      }
    }
  }
  return out;
}

function locate(hunk: Hunk, label: string, fileLines: string[], hint: number | null): Located | Failure {
  let block: string[] = oldSide(bareAs(hunk.lines, () => "keep"));
  for (const lines of readings(hunk, fileLines)) {
    const old = oldSide(lines);
    if (old.length === 0 && fileLines.length === 0) {
      return { hunk, label, lines, match: { start: 0, tier: "exact", indentShift: 0, indentPrefix: "" }, oldLength: 0 };
    }
    if (old.length === 0) continue;
    const matches = findMatches(fileLines, old);
    if (matches.length === 0) continue;
    const match = pickMatch(matches, hint);
    // A reading that matches in several places will only match in more once loosened: stop here.
    if (!match) return { label, problem: "ambiguous", starts: matches.map((m) => m.start), block: old };
    return { hunk, label, lines, match, oldLength: old.length };
  }
  if (block.length === 0) block = hunk.lines.map((line) => line.text);
  return { label, problem: "not found", starts: [], block };
}

/** Splits a hunk between its change groups, sharing the context between them. */
function split(hunk: Hunk): Hunk[] {
  const lines = hunk.lines;
  const isChange = (line: HunkLine) => line.kind === "del" || line.kind === "add";
  const parts: HunkLine[][] = [];
  let current: HunkLine[] = [];
  let index = 0;
  while (index < lines.length) {
    const runStart = index;
    while (index < lines.length && !isChange(lines[index]!)) index++;
    const run = lines.slice(runStart, index);
    const hasChangeBefore = current.some(isChange);
    if (hasChangeBefore && index < lines.length) {
      const half = Math.ceil(run.length / 2);
      current.push(...run.slice(0, half));
      parts.push(current);
      current = run.slice(half);
    } else current.push(...run);
    while (index < lines.length && isChange(lines[index]!)) current.push(lines[index++]!);
  }
  parts.push(current);
  return parts.length < 2 ? [] : parts.map((part) => ({ ...hunk, lines: part }));
}

function locateHunk(hunk: Hunk, path: string, fileLines: string[]): (Located | Failure)[] {
  const label = `hunk ${hunk.number}`;
  const whole = locate(hunk, label, fileLines, hunk.hint);
  if ("match" in whole || whole.problem === "ambiguous") return [whole];
  const parts = split(hunk).map((part, index) => locate(part, `${label} (part ${index + 1})`, fileLines, null));
  return parts.length > 0 && parts.every((part) => "match" in part) ? parts : [whole];
}

function showLines(fileLines: string[], start: number, count: number): string {
  const from = Math.max(0, start - 1);
  const to = Math.min(fileLines.length, start + Math.max(count, 1) + 1, from + 10);
  return fileLines
    .slice(from, to)
    .map((line, offset) => `  ${String(from + offset + 1).padStart(4)} | ${line}`)
    .join("\n");
}

function explain(path: string, failure: Failure, fileLines: string[], applied: string[]): string {
  const head =
    failure.problem === "ambiguous"
      ? `${failure.label} of ${path} is ambiguous: it matches ${failure.starts.length} places (lines ${failure.starts.map((s) => s + 1).join(", ")}); add unchanged lines around the change so it matches exactly once`
      : `${failure.label} of ${path} was not found: its context and removed lines are not in the file. The closest real lines are:\n${showLines(fileLines, nearestStart(fileLines, failure.block), failure.block.length)}`;
  const dryRun =
    applied.length > 0
      ? `\nIn a dry run ${applied.join(", ")} applied; nothing was changed. Send the whole corrected diff again.`
      : "";
  return head + dryRun;
}

function finalNewline(file: FileText, located: Located[]): boolean {
  const last = located.at(-1);
  if (!last || last.match.start + last.oldLength !== file.lines.length) return file.finalNewline;
  const { oldNoNewline, newNoNewline } = last.hunk;
  return oldNoNewline === newNoNewline ? file.finalNewline : !newNoNewline;
}

export function applyHunks(path: string, file: FileText, hunks: Hunk[]): FileText {
  const results = hunks.flatMap((hunk) => locateHunk(hunk, path, file.lines));
  const located = results.filter((result): result is Located => "match" in result);
  const failure = results.find((result): result is Failure => !("match" in result));
  if (failure)
    throw new PatchRejected(
      explain(
        path,
        failure,
        file.lines,
        located.map((l) => l.label),
      ),
      path,
    );
  located.sort((a, b) => a.match.start - b.match.start);
  for (const [index, current] of located.entries()) {
    const previous = located[index - 1];
    if (previous && current.match.start < previous.match.start + previous.oldLength) {
      throw new PatchRejected(
        `${previous.label} and ${current.label} of ${path} overlap; merge them into one hunk`,
        path,
      );
    }
  }
  const lines: string[] = [];
  let cursor = 0;
  for (const { lines: hunkLines, match, oldLength } of located) {
    lines.push(...file.lines.slice(cursor, match.start));
    let oldIndex = match.start;
    for (const line of hunkLines) {
      if (line.kind === "add") lines.push(reindent(line.text, match));
      else if (line.kind === "keep") lines.push(file.lines[oldIndex++]!);
      else oldIndex++;
    }
    cursor = match.start + oldLength;
  }
  lines.push(...file.lines.slice(cursor));
  return { ...file, lines, finalNewline: finalNewline(file, located) };
}
