// Pure: turn a failed command's output into a short error list a model can act on,
// with file and line where the tool gives them.

export type FailedCommand = { command: string; exitCode: number | null; timedOut: boolean; output: string };
export type SummaryLimits = { maxErrors: number; maxErrorChars: number };

type Extractor = (lines: string[]) => string[];

const TSC = /^(\S[^(]*)\((\d+),(\d+)\): (error TS\d+: .*)$/;
const TSC_PRETTY = /^(\S+):(\d+):(\d+) - (error TS\d+: .*)$/;
const tsc: Extractor = (lines) =>
  lines.flatMap((line) => {
    const match = TSC.exec(line) ?? TSC_PRETTY.exec(line);
    return match ? [`${match[1]}:${match[2]}:${match[3]} ${match[4]}`] : [];
  });

const ESLINT_ROW = /^\s+(\d+):(\d+)\s+error\s+(.+?)(?:\s{2,}(\S+))?$/;
const eslint: Extractor = (lines) => {
  const errors: string[] = [];
  let file = "";
  for (const line of lines) {
    if (/^(\/|\.{0,2}[\w@-][^\s:]*\.\w+$)/.test(line)) file = line.trim();
    const row = ESLINT_ROW.exec(line);
    if (row && file) errors.push(`${file}:${row[1]}:${row[2]} ${row[3]}${row[4] ? ` (${row[4]})` : ""}`);
  }
  return errors;
};

const PYTEST_LOCATION = /^(\S+\.py):(\d+): (\w+)$/;
const pytest: Extractor = (lines) => {
  const errors: string[] = [];
  let pending: string[] = [];
  for (const line of lines) {
    if (line.startsWith("E ")) {
      pending.push(line.slice(1).trim());
      continue;
    }
    const location = PYTEST_LOCATION.exec(line);
    if (location && pending.length > 0) {
      errors.push(`${location[1]}:${location[2]}: ${pending.join(" | ")}`);
      pending = [];
    }
  }
  if (pending.length > 0) errors.push(pending.join(" | "));
  if (errors.length > 0) return errors;
  return lines.filter((line) => /^(FAILED|ERROR) /.test(line));
};

// Jest: one "● Suite › test" block per failed test: the matcher's message, Expected/Received, the line that
// failed (marked ">" in the code frame) and where ("at … (file:line:col)", the first frame outside node_modules).
const JEST_TITLE = /^\s*● (.+)$/;
const JEST_FRAME = /^\s*at .*?\(?([^\s()]+\.[cm]?[jt]sx?):(\d+):\d+\)?$/;
const JEST_CODE = /^\s*>\s*\d+\s*\|\s?(.*)$/;
const jest: Extractor = (lines) => {
  const starts = lines.flatMap((line, index) =>
    JEST_TITLE.test(line) && !/^\s*● Test suite failed to run/.test(line) ? [index] : [],
  );
  return starts.map((start, n) => {
    const block = lines.slice(start + 1, starts[n + 1] ?? lines.length);
    const title = JEST_TITLE.exec(lines[start]!)![1]!.split(" › ").at(-1)!;
    const message = block.find((line) => line.trim() !== "")?.trim() ?? "";
    const values = block.filter((line) => /^\s*(Expected|Received)( value)?:/.test(line)).map((line) => line.trim());
    const code = block.map((line) => JEST_CODE.exec(line)?.[1]?.trim()).find(Boolean);
    const frame = block
      .map((line) => JEST_FRAME.exec(line))
      .find((match) => match !== null && !match[1]!.includes("node_modules"));
    const where = frame ? `${frame[1]!.replace(/^.*\//, "")}:${frame[2]}: ` : "";
    return `${where}${title}: ${[code, message, ...values].filter(Boolean).join(" | ")}`;
  });
};

const PY_FRAME = /^\s*File "([^"]+)", line (\d+)/;
const traceback: Extractor = (lines) => {
  const start = lines.findLastIndex((line) => line.startsWith("Traceback (most recent call last)"));
  if (start < 0) return [];
  const frames = lines
    .slice(start)
    .map((line) => PY_FRAME.exec(line))
    .filter((match) => match !== null);
  const last = frames.at(-1);
  const message = lines.slice(start).findLast((line) => /^[\w.]+(Error|Exception)\b/.test(line));
  return message ? [last ? `${last[1]}:${last[2]}: ${message}` : message] : [];
};

const GENERIC = /\berror\b|\bfailed\b|\bFAIL\b|\w+Error\b|✗|✘/i;
const generic: Extractor = (lines) => {
  const flagged = lines.filter((line) => GENERIC.test(line));
  return flagged.length > 0 ? flagged : lines.filter((line) => line.trim() !== "").slice(-10);
};

// Most specific first; the first extractor that finds anything wins.
const EXTRACTORS: Extractor[] = [tsc, pytest, jest, eslint, traceback, generic];

function trim(text: string, max: number): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

export function summariseFailure(failed: FailedCommand, limits: SummaryLimits): string[] {
  const headline = failed.timedOut
    ? `\`${failed.command}\` timed out and was killed`
    : `\`${failed.command}\` failed with exit code ${failed.exitCode}`;
  const lines = failed.output.replace(/\x1b\[[0-9;]*m/g, "").split(/\r?\n/);
  let found: string[] = [];
  for (const extract of EXTRACTORS) {
    found = extract(lines);
    if (found.length > 0) break;
  }
  const unique = [...new Set(found.map((error) => trim(error, limits.maxErrorChars)))];
  return [trim(headline, limits.maxErrorChars), ...unique.slice(0, limits.maxErrors)];
}
