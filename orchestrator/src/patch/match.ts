// Pure: find where a block of lines sits in a file, by content, in passes from strict to loose.

export type MatchTier = "exact" | "trailing-whitespace" | "indentation" | "punctuation";
export type Match = {
  start: number;
  tier: MatchTier;
  /** Indentation to add (positive) or remove (negative) from the model's lines to fit the file. */
  indentShift: number;
  /** The file's indentation unit to add when indentShift > 0. */
  indentPrefix: string;
};

const PUNCTUATION: [RegExp, string][] = [
  [/[\u2018\u2019\u201A\u201B\u2032]/g, "'"],
  [/[\u201C\u201D\u201E\u201F\u2033]/g, '"'],
  [/[\u2010-\u2015\u2212]/g, "-"],
  [/[\u00A0\u2002-\u200A\u202F\u205F\u3000]/g, " "],
  [/\u2026/g, "..."],
];

export function normalisePunctuation(line: string): string {
  return PUNCTUATION.reduce((text, [pattern, replacement]) => text.replace(pattern, replacement), line);
}

type TierSpec = { tier: MatchTier; normalise: (line: string) => string; relative: boolean };
const TIERS: TierSpec[] = [
  { tier: "exact", normalise: (line) => line, relative: false },
  { tier: "trailing-whitespace", normalise: (line) => line.trimEnd(), relative: false },
  { tier: "indentation", normalise: (line) => line.trim(), relative: true },
  { tier: "punctuation", normalise: (line) => normalisePunctuation(line).trim(), relative: true },
];

const indentOf = (line: string) => /^[ \t]*/.exec(line)![0];

/** With relative indentation, every non-blank line must be shifted by the same amount. */
function indentFit(
  fileLines: string[],
  start: number,
  block: string[],
): Pick<Match, "indentShift" | "indentPrefix"> | null {
  let shift: number | null = null;
  let prefix = "";
  for (const [offset, line] of block.entries()) {
    const fileLine = fileLines[start + offset]!;
    if (line.trim() === "" || fileLine.trim() === "") continue;
    const fileIndent = indentOf(fileLine);
    const modelIndent = indentOf(normalisePunctuation(line));
    const lineShift = fileIndent.length - modelIndent.length;
    if (shift === null) {
      shift = lineShift;
      prefix = lineShift > 0 ? fileIndent.slice(0, lineShift) : "";
    } else if (shift !== lineShift) return null;
  }
  return { indentShift: shift ?? 0, indentPrefix: prefix };
}

function matchesAt(fileLines: string[], start: number, block: string[], spec: TierSpec): boolean {
  for (const [offset, line] of block.entries()) {
    if (spec.normalise(fileLines[start + offset]!) !== spec.normalise(line)) return false;
  }
  return true;
}

/** Every match of the first tier that finds any (so a strict match is never passed over for a loose one). */
export function findMatches(fileLines: string[], block: string[]): Match[] {
  if (block.length === 0) return [];
  for (const spec of TIERS) {
    const found: Match[] = [];
    for (let start = 0; start + block.length <= fileLines.length; start++) {
      if (!matchesAt(fileLines, start, block, spec)) continue;
      const fit = spec.relative ? indentFit(fileLines, start, block) : { indentShift: 0, indentPrefix: "" };
      if (fit) found.push({ start, tier: spec.tier, ...fit });
    }
    if (found.length > 0) return found;
  }
  return [];
}

/** Picks one match, using the header's line number only to break a tie between near and far copies. */
export function pickMatch(matches: Match[], hint: number | null, tolerance = 5): Match | null {
  if (matches.length === 1) return matches[0]!;
  if (hint === null || matches.length === 0) return null;
  const byDistance = [...matches].sort((a, b) => Math.abs(a.start - hint) - Math.abs(b.start - hint));
  const best = Math.abs(byDistance[0]!.start - hint);
  const second = Math.abs(byDistance[1]!.start - hint);
  return best <= tolerance && second > best ? byDistance[0]! : null;
}

/** Whether a line occurs anywhere in the file, under the loosest tier. */
export function occursInFile(fileLines: string[], line: string): boolean {
  const wanted = normalisePunctuation(line).trim();
  return fileLines.some((fileLine) => normalisePunctuation(fileLine).trim() === wanted);
}

/** The start where the most lines agree (loosely): where the model probably aimed. */
export function nearestStart(fileLines: string[], block: string[]): number {
  let best = 0;
  let bestScore = -1;
  const wanted = block.map((line) => normalisePunctuation(line).trim());
  for (let start = 0; start < Math.max(1, fileLines.length - block.length + 1); start++) {
    let score = 0;
    for (const [offset, line] of wanted.entries()) {
      const fileLine = fileLines[start + offset];
      if (fileLine !== undefined && line !== "" && normalisePunctuation(fileLine).trim() === line) score++;
    }
    if (score > bestScore) [best, bestScore] = [start, score];
  }
  return best;
}

export function reindent(line: string, match: Pick<Match, "indentShift" | "indentPrefix">): string {
  if (line.trim() === "" || match.indentShift === 0) return line;
  if (match.indentShift > 0) return match.indentPrefix + line;
  const removable = Math.min(-match.indentShift, indentOf(line).length);
  return line.slice(removable);
}
