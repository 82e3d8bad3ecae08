// A benchmark's per-problem results: one JSON line each, appended as problems finish, so a killed run resumes.
import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import type { z } from "zod";
import { TaskInvalid } from "../errors.ts";

function parseLine(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return null;
  }
}

/**
 * Reads the lines of an earlier run that `keep` accepts. A torn last line (the run was killed mid-write) is dropped;
 * a malformed line elsewhere is an error. With `rewrite`, the file is written back with only the kept lines, so
 * appending continues a well-formed file and what was dropped is done again.
 */
export function readResults<S extends z.ZodType>(
  file: string,
  schema: S,
  options: { keep?: (line: z.infer<S>) => boolean; rewrite?: boolean; strict?: boolean } = {},
): z.infer<S>[] {
  if (!existsSync(file)) return [];
  const lines = readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "");
  const kept: z.infer<S>[] = [];
  lines.forEach((line, index) => {
    const parsed = schema.safeParse(parseLine(line));
    if (parsed.success) {
      if (options.keep?.(parsed.data) ?? true) kept.push(parsed.data);
    } else if (options.strict !== false && index < lines.length - 1) {
      throw new TaskInvalid(
        "--resume",
        `${file} line ${index + 1} is not a result line`,
        "pass another --out, or fix the file",
      );
    }
  });
  if (options.rewrite) writeFileSync(file, kept.map((r) => `${JSON.stringify(r)}\n`).join(""));
  return kept;
}

/** Appends one result line (one write, so a kill leaves at most a torn last line). */
export function appendResult(file: string, line: unknown): void {
  appendFileSync(file, `${JSON.stringify(line)}\n`);
}

/** Refuses to start a fresh run over an earlier one's results. */
export function refuseOverwrite(file: string, outDir: string, resume: boolean): void {
  if (!resume && existsSync(file) && readFileSync(file, "utf8").trim() !== "") {
    throw new TaskInvalid(
      "--out",
      `${outDir} already holds ${file.split("/").at(-1)}`,
      "pass --resume to continue that run, or another --out",
    );
  }
}
