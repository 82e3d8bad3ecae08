// Pure: a hunk that marks no line with + or -. Small models often answer a diff request with the file's lines and
// their new lines unmarked, some context lines with the one-space prefix and some without (so an indented line's
// first space may or may not be a prefix). Each line is read as the file has it where the file has it; the lines
// the file lacks are the new ones. The known lines must be one contiguous stretch of the file, found exactly once,
// or the hunk is refused: a guess here is how a correct solution lands above its own `def`.
import { PatchRejected } from "../errors.ts";
import { addedDefinitions, keptStubsAfter, PLACEHOLDER, redefinedFile, rewritesHead, STUB } from "./definitions.ts";
import type { Hunk } from "./types.ts";

export const isUnmarked = (hunk: Hunk) => hunk.lines.every((line) => line.kind === "keep" || line.kind === "bare");

/** A line as written, and whether its text is certain (a + line's text has no prefix left to strip). */
type Raw = { text: string; exact: boolean };
const rawLines = (hunk: Hunk): Raw[] =>
  hunk.lines.map((line) =>
    line.kind === "keep" ? { text: ` ${line.text}`, exact: false } : { text: line.text, exact: line.kind === "add" },
  );

type Read = { text: string; known: boolean };

/** The file's indentation step (2, 4...): the greatest common divisor of its lines' leading spaces; 0 when none. */
function indentUnit(fileLines: readonly string[]): number {
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  return fileLines.reduce((unit, line) => {
    const spaces = /^ */.exec(line)![0].length;
    return spaces > 0 && line.trim() !== "" ? gcd(unit, spaces) : unit;
  }, 0);
}

/**
 * Each line as the model meant it. A line the file has is read the way the file has it. For the new lines, whether
 * a leading space is a lost diff prefix or indentation is decided by the file's indentation step (a 4-space file's
 * body is at 4 spaces, not 3 or 5), and only where that says nothing by how the known lines were written.
 */
function readLines(hunk: Hunk, fileLines: readonly string[]): Read[] {
  const inFile = new Set(fileLines);
  const raws = rawLines(hunk);
  const raw = raws.map((line) => line.text);
  let asWritten = 0;
  let prefixed = 0;
  const fresh: string[] = [];
  for (const { text: line, exact } of raws) {
    if (line.trim() === "" || exact) continue;
    const plain = inFile.has(line);
    const stripped = line.startsWith(" ") && inFile.has(line.slice(1));
    if (plain && !stripped) asWritten++;
    if (stripped && !plain) prefixed++;
    if (!plain && !stripped && line.startsWith(" ")) fresh.push(line);
  }
  const unit = indentUnit(fileLines);
  const onStep = (line: string) => unit > 1 && (/^ */.exec(line)![0].length % unit === 0 ? 1 : 0);
  const keptFit = fresh.reduce((sum, line) => sum + Number(onStep(line)), 0);
  const strippedFit = fresh.reduce((sum, line) => sum + Number(onStep(line.slice(1))), 0);
  const stripNew = keptFit !== strippedFit ? strippedFit > keptFit : prefixed > asWritten;
  return raws.map(({ text: line, exact }) => {
    if (line.trim() === "") return { text: "", known: false };
    if (exact) return { text: line, known: inFile.has(line) };
    const plain = inFile.has(line);
    const stripped = line.startsWith(" ") && inFile.has(line.slice(1));
    if (plain && (!stripped || !stripNew)) return { text: line, known: true };
    if (stripped) return { text: line.slice(1), known: true };
    return { text: stripNew && line.startsWith(" ") ? line.slice(1) : line, known: false };
  });
}

/** Starts where the known lines are the file's non-blank lines from there on, in order, with none skipped. */
function stretches(fileLines: readonly string[], known: string[]): { start: number; end: number }[] {
  const found: { start: number; end: number }[] = [];
  for (let start = 0; start < fileLines.length; start++) {
    if (fileLines[start] !== known[0]) continue;
    let at = start;
    let matched = 0;
    while (matched < known.length && at < fileLines.length) {
      if (fileLines[at]!.trim() === "") {
        at++;
        continue;
      }
      if (fileLines[at] !== known[matched]) break;
      matched++;
      at++;
    }
    if (matched === known.length) found.push({ start, end: at });
  }
  return found;
}

/**
 * The file's lines a whole new file must keep: the non-blank ones but stub bodies (pass, ..., raise
 * NotImplementedError), which a reply that implements the stubs replaces. Exercism's stubs are all defs and
 * `pass`: the 0.5B's whole files were refused when the file ended on a `pass` they had replaced.
 */
function keptLines(fileLines: readonly string[]): string[] {
  const nonBlank = fileLines.filter((line) => line.trim() !== "");
  const declared = nonBlank.filter((line) => !STUB.test(line));
  return declared.length > 0 ? declared : nonBlank;
}

/** Whether the known lines are the file's kept lines in order from its first to its last, some left out. */
function coversFile(fileLines: readonly string[], known: string[]): boolean {
  const nonBlank = keptLines(fileLines);
  if (nonBlank.length === 0 || known[0] !== nonBlank[0] || known.at(-1) !== nonBlank.at(-1)) return false;
  let at = 0;
  for (const line of known) {
    while (at < nonBlank.length && nonBlank[at] !== line) at++;
    if (at === nonBlank.length) return false;
    at++;
  }
  return true;
}

/**
 * Whether every kept line of the file is in the block, in order, from the block's first line: the whole file
 * with new lines among its own, including new lines that copy some of the file's (a new body that repeats an
 * existing function's lines, which makes the known lines look out of order).
 */
function holdsFile(fileLines: readonly string[], body: readonly Read[]): boolean {
  const nonBlank = keptLines(fileLines);
  if (nonBlank.length === 0 || body[0]?.text !== nonBlank[0]) return false;
  let at = 0;
  for (const line of body) if (at < nonBlank.length && line.text === nonBlank[at]) at++;
  return at === nonBlank.length;
}

/** Search/replace and diff markers: a block holding them is a broken edit of another format, not the file. */
const MARKERS = /^(<{5,9} ?SEARCH|={5,9}|>{5,9} ?REPLACE|--- (a\/|\/dev\/null)|\+\+\+ b\/|@@ )/;

export type UnmarkedReading =
  /** The known lines are one unbroken stretch of the file, [start, end): the block replaces it, adding lines only. */
  | { kind: "stretch"; start: number; end: number; body: string[]; known: number; stubsKept?: true }
  /**
   * The known lines run from the file's first line to its last: the block is the whole new file. `afresh`: it
   * defines again every function and class of a file of definitions, whatever of the old lines it kept, or it adds
   * definitions the file lacks after its last line (definitions.ts).
   */
  | { kind: "whole"; body: string[]; known: number; afresh?: true };

/** The header unnamed.ts gives a code block that named no file. */
export const CODE_BLOCK = "the code block";
const FIX =
  "mark each added line with + and each removed line with -, keeping unchanged lines with a leading space; or send the whole file in a fenced block with its path on the line above";

/**
 * Where an unmarked hunk's lines go. Two readings are certain: the known lines are one unbroken stretch of the file
 * (the new lines go in between, nothing is removed), or they run from the file's first line to its last (the whole
 * new file, so lines it leaves out are removed). Anything else is refused.
 */
export function readUnmarked(path: string, fileLines: readonly string[], hunk: Hunk): UnmarkedReading {
  const lines = readLines(hunk, fileLines);
  const known = lines.filter((line) => line.known).map((line) => line.text);
  // Only where no other reading is certain: a code block that defines everything the file defines is the file.
  const rewritten = (): UnmarkedReading | null => {
    if (!isCodeBlock(hunk)) return null;
    const texts = lines.map((line) => line.text);
    const block = texts.slice(
      texts.findIndex((t) => t.trim() !== ""),
      texts.findLastIndex((t) => t.trim() !== "") + 1,
    );
    const whole = redefinedFile(fileLines, block) ?? addedDefinitions(fileLines, block);
    return whole ? { kind: "whole", body: whole, known: known.length, afresh: true } : null;
  };

  if (known.length === 0) {
    const whole = rewritten();
    if (whole) return whole;
    throw new PatchRejected(
      `${label(hunk)} of ${path} ${marks(hunk)}, and none of its lines is in the file, so where it goes is unknown; ${fixFor(hunk, path)}`,
      path,
    );
  }
  // Blank lines the model wrote at the block's edges are the gap before prose, not content.
  const first = lines.findIndex((line) => line.text.trim() !== "");
  const last = lines.findLastIndex((line) => line.text.trim() !== "");
  const body = lines.slice(first, last + 1);
  const marker = body.find((line) => !line.known && MARKERS.test(line.text));
  if (marker)
    throw new PatchRejected(
      `${label(hunk)} of ${path} holds "${marker.text.trim()}", a marker of another edit format, among its lines; send one edit in one format`,
      path,
    );
  const found = stretches(fileLines, known);
  if (found.length === 1) {
    const { start, end } = found[0]!;
    // New lines after the last known one, and more of the file after that: inserted before the rest, or meant to
    // replace it (a whole file cut short)? Not certain, so not applied.
    const endsNew = body.length > 0 && !body.at(-1)!.known;
    // Unless all the file has after it is a stub body (raise NotImplementedError, pass, ...): the new lines are the
    // body that replaces it, as in "implement this function".
    const rest = fileLines.slice(end).filter((line) => line.trim() !== "");
    if (endsNew && rest.length > 0 && rest.every((line) => STUB.test(line))) {
      return {
        kind: "stretch",
        start,
        end: fileLines.length,
        body: body.map((line) => line.text),
        known: known.length,
      };
    }
    // Or the stub body right after the stretch, then only stubs of definitions the block leaves alone (Exercism's
    // dnd-character: the block rewrote `class Character` and never mentions `def modifier`): the new lines replace
    // that body, and the other stubs stay, for the tests to ask for.
    const otherStubs = endsNew
      ? keptStubsAfter(
          fileLines,
          end,
          body.map((line) => line.text),
        )
      : null;
    if (otherStubs !== null) {
      const lines = body.map((line) => line.text);
      return { kind: "stretch", start, end: otherStubs, body: lines, known: known.length, stubsKept: true };
    }
    if (endsNew && rest.length > 0) {
      const whole = rewritten();
      if (whole) return whole;
      throw new PatchRejected(
        `${label(hunk)} of ${path} ${marks(hunk)}, ends with new lines, and the file goes on after its last known line, so whether they replace the rest is unclear; ${fixFor(hunk, path)}`,
        path,
      );
    }
    // The same at the top: new lines before the first known one, with more of the file before it (a reply that
    // echoed the prompt, or rewrote the file's head).
    const startsNew = body.length > 0 && !body[0]!.known;
    const head = fileLines.slice(0, start).filter((line) => line.trim() !== "");
    // Unless each of those lines is a def, class or import line the new head rewrites (a signature given type hints,
    // an import added above it): the block is then the file from its top.
    const newHead = body
      .slice(
        0,
        body.findIndex((line) => line.known),
      )
      .map((line) => line.text);
    if (startsNew && head.length > 0 && rewritesHead(head, newHead)) {
      return { kind: "stretch", start: 0, end, body: body.map((line) => line.text), known: known.length };
    }
    if (startsNew && head.length > 0) {
      const whole = rewritten();
      if (whole) return whole;
      throw new PatchRejected(
        `${label(hunk)} of ${path} ${marks(hunk)}, begins with new lines, and the file has lines before its first known line, so whether they replace those is unclear; ${fixFor(hunk, path)}`,
        path,
      );
    }
    return { kind: "stretch", start, end, body: body.map((line) => line.text), known: known.length };
  }
  if (found.length === 0 && (coversFile(fileLines, known) || holdsFile(fileLines, body))) {
    // A placeholder stands for lines left out: only where the block lacks some of the file's kept lines is it one.
    // With every kept line there, nothing is lost, and "# characters pass through unchanged" is a comment (the
    // 0.5B's affine-cipher, refused twice on the word "unchanged").
    const written = new Set(body.map((line) => line.text));
    const leftOut = keptLines(fileLines).some((line) => !written.has(line));
    const placeholder = leftOut ? body.find((line) => !line.known && PLACEHOLDER.test(line.text)) : undefined;
    if (placeholder)
      throw new PatchRejected(
        `${label(hunk)} of ${path} leaves lines out ("${placeholder.text.trim()}"); ${fixFor(hunk, path)}`,
        path,
      );
    return { kind: "whole", body: body.map((line) => line.text), known: known.length };
  }
  const whole = rewritten();
  if (whole) return whole;
  const problem =
    found.length === 0
      ? "are neither the whole file nor one unbroken stretch of it (a line is changed, missing or out of order)"
      : `match ${found.length} places`;
  throw new PatchRejected(
    `${label(hunk)} of ${path} ${marks(hunk)}, and its lines that are in the file ${problem}; ${fixFor(hunk, path)}`,
    path,
  );
}

const label = (hunk: Hunk) => (hunk.header.startsWith("the ") ? hunk.header : `hunk ${hunk.number}`);
/** A code block that named no file (unnamed.ts), as opposed to a diff: its refusals speak of whole files, not marks. */
const isCodeBlock = (hunk: Hunk) => hunk.header === CODE_BLOCK;
/** What is wrong with the hunk, for the refusal: a code block that is not the whole file, no marks at all, or + on lines the file already has. */
const marks = (hunk: Hunk) =>
  isCodeBlock(hunk)
    ? "is not the whole file"
    : isUnmarked(hunk)
      ? "marks no line with + or -"
      : "marks lines the file already has as added";
/** What to send instead: the whole file for a code block (the model was writing one), marks for a diff. */
const fixFor = (hunk: Hunk, path: string) =>
  isCodeBlock(hunk)
    ? `send the whole of ${path}, every line of it, in one fenced block with the path alone on the line above`
    : FIX;

/** The file's new lines from one reading. */
export function applyReading(fileLines: readonly string[], reading: UnmarkedReading): string[] {
  return reading.kind === "whole"
    ? reading.body
    : [...fileLines.slice(0, reading.start), ...reading.body, ...fileLines.slice(reading.end)];
}

/** A stretch reading as an ordinary hunk (the file's stretch removed, the block added), to apply beside marked hunks. */
export function asMarkedHunk(
  fileLines: readonly string[],
  hunk: Hunk,
  reading: UnmarkedReading & { kind: "stretch" },
): Hunk {
  const lines = [
    ...fileLines.slice(reading.start, reading.end).map((text) => ({ kind: "del" as const, text })),
    ...reading.body.map((text) => ({ kind: "add" as const, text })),
  ];
  return { ...hunk, hint: reading.start, lines };
}
