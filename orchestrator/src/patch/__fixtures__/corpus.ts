// Loads the patch corpus: one directory per case (case.json, reply.txt, before/, after/). See corpus/README.md.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { z } from "zod";

export const CORPUS_DIR = path.join(import.meta.dir, "corpus");

const CaseMeta = z.object({
  title: z.string(),
  category: z.string(),
  owned: z.array(z.string()).min(1),
  expect: z.enum(["apply", "reject"]),
  reason: z.string().optional(),
  format: z.enum(["udiff", "whole", "search-replace"]),
  notes: z.string().optional(),
  /** For `apply`: files the reply also edits that are not owned, which the plan leaves out. */
  ignored: z.array(z.string()).optional(),
  maxChangedLines: z.number().int().optional(),
  smallFileLimit: z.number().int().optional(),
});

export type CorpusCase = z.infer<typeof CaseMeta> & {
  name: string;
  reply: string;
  /** Every owned file before: content, or null when it does not exist. */
  before: Map<string, string | null>;
  /** For `apply`: every owned file after (null: must not exist). */
  after: Map<string, string | null> | null;
};

function readTree(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  if (!existsSync(dir)) return files;
  const walk = (current: string) => {
    for (const name of readdirSync(current)) {
      const full = path.join(current, name);
      if (statSync(full).isDirectory()) walk(full);
      else files.set(path.relative(dir, full).split(path.sep).join("/"), readFileSync(full, "utf8"));
    }
  };
  walk(dir);
  return files;
}

export function loadCorpus(dir = CORPUS_DIR): CorpusCase[] {
  return readdirSync(dir)
    .filter((name) => statSync(path.join(dir, name)).isDirectory())
    .sort()
    .map((name) => {
      const caseDir = path.join(dir, name);
      const meta = CaseMeta.parse(JSON.parse(readFileSync(path.join(caseDir, "case.json"), "utf8")));
      const beforeTree = readTree(path.join(caseDir, "before"));
      const afterTree = readTree(path.join(caseDir, "after"));
      const before = new Map(meta.owned.map((file) => [file, beforeTree.get(file) ?? null]));
      const after =
        meta.expect === "apply" ? new Map(meta.owned.map((file) => [file, afterTree.get(file) ?? null])) : null;
      return { ...meta, name, reply: readFileSync(path.join(caseDir, "reply.txt"), "utf8"), before, after };
    });
}

/** Applies planned changes onto the owned files. */
export function withChanges(
  files: Map<string, string | null>,
  changes: { path: string; content: string | null }[],
): Map<string, string | null> {
  const out = new Map(files);
  for (const change of changes) out.set(change.path, change.content);
  return out;
}

export function sameFiles(a: Map<string, string | null>, b: Map<string, string | null>): boolean {
  return a.size === b.size && [...a].every(([file, content]) => b.has(file) && b.get(file) === content);
}
