// Pure: what the pytest grader's reply means. Strict pass/fail, and failure lines short enough to feed a model.
import { constants } from "node:os";
import path from "node:path";
import { z } from "zod";
import { ERROR_LIMITS } from "../config/config.ts";

/** One line from grader.py. Lenient: it is another program's output, so unknown keys are ignored. */
export const GraderReply = z.object({
  id: z.string().nullable(),
  status: z.enum(["ready", "finished", "timeout", "crashed", "cancelled"]),
  exitCode: z.number().int().nullish(),
  signal: z.number().int().nullish(),
  durationMs: z.number().default(0),
  tests: z.array(z.object({ name: z.string(), outcome: z.string(), longrepr: z.string().default("") })).default([]),
  output: z.string().default(""),
  error: z.string().nullish(),
  /** The child sent its report: false after os._exit, a crash or a timeout. */
  reported: z.boolean().default(false),
  pid: z.number().int().optional(),
  pytest: z.string().optional(),
  /** The server's python and its prefixes: the sandboxed candidate runs the same interpreter. */
  executable: z.string().optional(),
  prefixes: z.array(z.string()).optional(),
});
export type GraderReply = z.infer<typeof GraderReply>;

export type GradeStatus = "passed" | "failed" | "timeout" | "crashed" | "error";
export type Grade = { passed: boolean; status: GradeStatus; durationMs: number; failures: string[]; output: string };
export type GradeContext = {
  /** The timeout the request ran under, for the timeout message. */
  timeoutMs?: number;
  /** Paths under these directories are shown relative to them; paths elsewhere count as not the candidate's. */
  workspace?: string;
  testFile?: string;
  maxLineChars?: number;
  maxLines?: number;
};

const DEFAULT_MAX_LINE_CHARS = ERROR_LIMITS.maxErrorChars;
/** One failure's traceback lines; the check keeps verify.maxErrors failures. */
const DEFAULT_MAX_LINES = 12;
const SIGNAL_NAMES = new Map(Object.entries(constants.signals).map(([name, number]) => [number, name]));
const SIGNAL_HINTS: Record<string, string> = {
  SIGSEGV: "a segmentation fault in native code",
  SIGBUS: "a bus error in native code",
  SIGABRT: "the process aborted",
  SIGKILL: "killed, perhaps for using too much memory",
  SIGXFSZ: "it wrote a file over the size limit",
  SIGXCPU: "it used too much CPU time",
};

/**
 * Pure: passed only if the child finished and reported, with no error, exactly `expectedTests` tests, all passed.
 * Anything the candidate printed is ignored: only the child's report counts.
 */
export function gradeReply(reply: GraderReply, expectedTests: number, context: GradeContext = {}): Grade {
  const fail = (status: GradeStatus, lines: string[]): Grade => ({
    passed: false,
    status,
    durationMs: reply.durationMs,
    failures: limitLines(lines, context),
    output: reply.output,
  });
  if (reply.status === "timeout")
    return fail("timeout", [`timed out after ${context.timeoutMs ?? reply.durationMs} ms`]);
  if (reply.status === "cancelled") return fail("error", ["the test run was cancelled"]);
  if (reply.status === "crashed") return fail("crashed", [crashLine(reply)]);
  if (reply.status !== "finished") return fail("error", [`unexpected grader status "${reply.status}"`]);
  if (!reply.reported) return fail("failed", ["the test process ended without a report (os._exit or crash?)"]);
  if (reply.error) return fail("error", ["the tests could not run:", ...summariseTraceback(reply.error, context)]);
  const notPassed = reply.tests.filter((test) => test.outcome !== "passed");
  const lines: string[] = [];
  if (reply.tests.length !== expectedTests) {
    lines.push(
      `expected ${expectedTests} test${expectedTests === 1 ? "" : "s"}, the test file reported ${reply.tests.length}`,
    );
  }
  for (const test of notPassed) {
    const details = test.outcome === "failed" ? summariseLongrepr(test.longrepr, context) : [];
    if (notPassed.length > 1 || test.outcome !== "failed") lines.push(`${test.name} ${test.outcome}`);
    lines.push(...details);
  }
  if (lines.length > 0) return fail("failed", lines);
  return { passed: true, status: "passed", durationMs: reply.durationMs, failures: [], output: reply.output };
}

function crashLine(reply: GraderReply): string {
  if (reply.error?.startsWith("bad request")) return `the grader refused the request: ${reply.error}`;
  if (reply.signal) {
    const name = SIGNAL_NAMES.get(reply.signal) ?? `signal ${reply.signal}`;
    const hint = SIGNAL_HINTS[name];
    return `the test process was killed by ${name}${hint ? ` (${hint})` : ""}`;
  }
  return `the test process exited with code ${reply.exitCode} without a report (os._exit?)`;
}

type Frame = { path: string; line: number; source: string; args?: string };

const SEPARATOR = /^(_ )+_\s*$/;
const SHORT_ENTRY = /^(\S.*?):(\d+): in (.+)$/; // pytest's short style: "path:12: in func", then the source line
const LONG_LOCATION = /^(\S.*?):(\d+):(?: [\w.]+)?\s*$/; // closes a long-style entry: "path:12: IndexError"
const ARGS = /^[A-Za-z_]\w* = /; // a long entry's function arguments: "numbers = [1.0], threshold = 0.3"
const CARET = /^\s*[\^~]+\s*$/;

/** Pure: the lines of a pytest long-style failure (longrepr) worth showing a model. */
export function summariseLongrepr(longrepr: string, context: GradeContext = {}): string[] {
  const lines = clean(longrepr, context).split(/\r?\n/);
  const frames: Frame[] = [];
  let short: Frame | null = null;
  let pending: { source: string[]; args?: string } = { source: [] };
  let errors: string[] = [];
  let inErrors = false;
  for (const line of lines) {
    const isError = line === "E" || line.startsWith("E ");
    if (isError) {
      if (!inErrors) errors = []; // the last run of E lines describes the final exception
      errors.push(`E ${collapse(line.slice(1))}`.trimEnd());
    }
    inErrors = isError;
    if (isError) continue;
    if (SEPARATOR.test(line)) {
      short = null;
      pending = { source: [] };
      continue;
    }
    const entry = SHORT_ENTRY.exec(line);
    if (entry) {
      short = { path: entry[1]!, line: Number(entry[2]), source: "" };
      frames.push(short);
      continue;
    }
    if (short && !short.source && /^\s+\S/.test(line) && !CARET.test(line)) {
      short.source = collapse(line);
      continue;
    }
    const location = LONG_LOCATION.exec(line);
    if (location && pending.source.length > 0) {
      frames.push({
        path: location[1]!,
        line: Number(location[2]),
        source: pending.source.join(" "),
        args: pending.args,
      });
      pending = { source: [] };
    } else if (line.startsWith(">")) {
      pending.source.push(collapse(line.slice(1)));
    } else if (ARGS.test(line) && pending.source.length === 0 && pending.args === undefined) {
      pending.args = collapse(line);
    }
  }
  const testName = context.testFile ? path.basename(context.testFile) : undefined;
  const isCandidate = (frame: Frame) => !/^[/.<]/.test(frame.path) && frame.path !== testName;
  const candidateIndex = frames.findLastIndex(isCandidate);
  const out: string[] = [];
  const show = (frame: Frame) => out.push(`${frame.path}:${frame.line}: ${frame.source}`);
  if (candidateIndex >= 0) {
    // The test line that called into the candidate says which input failed; then the candidate's own line.
    const caller = frames.slice(0, candidateIndex).findLast((frame) => !isCandidate(frame) && frame.path === testName);
    if (caller) show(caller);
    const frame = frames[candidateIndex]!;
    show(frame);
    if (frame.args) out.push(`arguments: ${frame.args}`);
  } else if (frames.length > 0) {
    show(frames.at(-1)!);
  }
  out.push(...errors.filter((error) => !/Use -v to get more diff|^E Full diff:$/.test(error)));
  return out.length > 0
    ? out
    : [collapse(longrepr.split("\n").findLast((line) => line.trim() !== "") ?? "the test failed")];
}

const PY_FRAME = /^\s*File "([^"]+)", line (\d+)/;
const CHAIN = /^(The above exception was the direct cause|During handling of the above exception)/;

/**
 * Pure: the lines of a Python traceback worth showing a model. Chained tracebacks print the cause first;
 * here the cause is the candidate's error and what follows is the grader's collection machinery.
 */
export function summariseTraceback(traceback: string, context: GradeContext = {}): string[] {
  const all = clean(traceback, context).split(/\r?\n/);
  const chainAt = all.findIndex((line) => CHAIN.test(line));
  const lines = chainAt >= 0 ? all.slice(0, chainAt) : all;
  const frames: Frame[] = [];
  let lastFrameEnd = -1;
  lines.forEach((line, index) => {
    const match = PY_FRAME.exec(line);
    if (!match) return;
    const next = lines[index + 1] ?? "";
    const hasSource = next.startsWith("    ") && !PY_FRAME.test(next);
    frames.push({ path: match[1]!, line: Number(match[2]), source: hasSource ? collapse(next) : "" });
    lastFrameEnd = hasSource ? index + 1 : index;
  });
  const testName = context.testFile ? path.basename(context.testFile) : undefined;
  const frame =
    frames.findLast((candidate) => !/^[/.<]/.test(candidate.path) && candidate.path !== testName) ?? frames.at(-1);
  const message = lines
    .slice(lastFrameEnd + 1)
    .filter((line) => line.trim() !== "" && !CARET.test(line))
    .map(collapse);
  const out = frame ? [`${frame.path}:${frame.line}: ${frame.source}`.replace(/: $/, "")] : [];
  return [...out, ...message];
}

/** Paths relative to the workspace and the test file's folder; no memory addresses. */
function clean(text: string, context: GradeContext): string {
  let out = text.replace(/ at 0x[0-9a-f]+/gi, "");
  for (const dir of [context.workspace, context.testFile && path.dirname(context.testFile)]) {
    if (dir) out = out.replaceAll(dir.endsWith("/") ? dir : `${dir}/`, "");
  }
  return out;
}

function collapse(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

function limitLines(lines: string[], context: GradeContext): string[] {
  const maxChars = context.maxLineChars ?? DEFAULT_MAX_LINE_CHARS;
  const maxLines = context.maxLines ?? DEFAULT_MAX_LINES;
  const trimmed = lines.map((line) => (line.length <= maxChars ? line : `${line.slice(0, maxChars - 1)}…`));
  if (trimmed.length <= maxLines) return trimmed;
  return [...trimmed.slice(0, maxLines - 1), `… ${trimmed.length - maxLines + 1} more lines`];
}
