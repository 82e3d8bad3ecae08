// Turns replies recorded by bench/formats.ts into entries of the real-reply corpus
// (src/patch/__fixtures__/real-replies.jsonl): the files the model saw, its reply, and what this patch engine does
// with it, for a person to judge by reading (applied as the model meant, or rightly refused) before it is kept.
// Run: bun run bench/corpus.ts --out FILE [recorded.jsonl...] [--db runs.db --format whole] [--review review.md]
// (--db: the attempts of a bench run on the local stack, whose tiers asked for --format)
import { Database } from "bun:sqlite";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { PatchRejected } from "../src/errors.ts";
import { loadDataset } from "../src/humaneval/dataset.ts";
import { LOCAL_MODELS } from "../src/stack/models.ts";
import { planPatch } from "../src/patch/index.ts";
import { markQuotes } from "../src/patch/__fixtures__/quotes.ts";

const { values, positionals } = parseArgs({
  options: {
    out: { type: "string" },
    review: { type: "string" },
    dataset: { type: "string" },
    db: { type: "string" },
    format: { type: "string", default: "whole" },
  },
  allowPositionals: true,
});
if (!values.out || (positionals.length === 0 && !values.db))
  throw new Error(
    "usage: bun run bench/corpus.ts --out FILE [recorded.jsonl...] [--db runs.db --format F] [--review review.md]",
  );
const problems = new Map(
  (
    await loadDataset(
      values.dataset ?? path.join(import.meta.dir, "..", "..", "..", "shared", "datasets", "HumanEval.jsonl.gz"),
    )
  ).map((p) => [p.taskId, p]),
);
const WORKSPACES = path.join(import.meta.dir, "workspaces");
const MODEL = { fast: LOCAL_MODELS.fast.alias, deep: LOCAL_MODELS.deep.alias } as Record<string, string>;

type Recorded = { model: string; format: string; task: string; reply: string };

/** The HumanEval attempts of a run store (a bench on the local stack): every attempt starts from the prompt. */
function fromStore(file: string, format: string): Recorded[] {
  const db = new Database(file, { readonly: true });
  const rows = db
    .query<{ task: string; tier: string; reply: string }, []>(
      "SELECT t.task_key AS task, a.tier, a.reply FROM attempts a JOIN tasks t ON t.id = a.task_id WHERE t.kind = 'humaneval' AND a.reply != '' ORDER BY t.id, a.n",
    )
    .all();
  db.close();
  // On the local stack without a frontier key, reviewer is the 1.5B too.
  return rows.map((row) => ({
    model: row.tier === "fast" ? "fast" : "deep",
    format,
    task: row.task,
    reply: row.reply,
  }));
}
const seen = new Set<string>();
const ids = new Set<string>();
const entries = [];
const recorded: Recorded[] = [
  ...positionals.flatMap((file) =>
    readFileSync(file, "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Recorded),
  ),
  ...(values.db ? fromStore(values.db, values.format!) : []),
];
{
  for (const row of recorded) {
    if (row.format === "direct") continue; // the baseline's replies are graded as code, not applied as edits
    const key = `${row.model}|${row.format}|${row.task}|${row.reply}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const files = filesOf(row.task);
    let outcome: { expect: "apply"; after: Record<string, string | null> } | { expect: "reject"; reason: string };
    try {
      const plan = planPatch({
        reply: row.reply,
        files: new Map(Object.entries(files)),
        maxChangedLines: 300,
        asked: row.format as "udiff",
      });
      outcome = {
        expect: "apply",
        after: Object.fromEntries(plan.changes.map((change) => [change.path, change.content])),
      };
    } catch (error) {
      if (!(error instanceof PatchRejected)) throw error;
      outcome = { expect: "reject", reason: error.message.split("\n")[0]! };
    }
    const base = `${row.model}-${row.format}-${row.task.replace(/\W+/g, "_")}`;
    const id = ids.has(base) ? `${base}-${[...ids].filter((other) => other.startsWith(base)).length + 1}` : base;
    ids.add(id);
    // A HumanEval stub is the dataset's prompt: the corpus names the task and the test reads it from the dataset.
    const kept = row.task.startsWith("workspace/") ? { files } : {};
    // Nor does it keep the prompt's lines a reply quotes: they become marks put back on reading (quotes.ts).
    const source = problems.get(row.task);
    const mark = (text: string) => (source && !kept.files ? markQuotes(text, source) : text);
    const marked =
      outcome.expect === "apply"
        ? {
            ...outcome,
            after: Object.fromEntries(
              Object.entries(outcome.after).map(([name, text]) => [name, text === null ? null : mark(text)]),
            ),
          }
        : { ...outcome, reason: mark(outcome.reason) };
    entries.push({
      id,
      model: MODEL[row.model] ?? row.model,
      format: row.format,
      task: row.task,
      ...kept,
      reply: mark(row.reply),
      ...marked,
      judged: "",
      shown: files,
    });
  }
}
writeFileSync(values.out, entries.map(({ shown: _shown, ...entry }) => JSON.stringify(entry)).join("\n") + "\n");
console.log(`${entries.length} entries in ${values.out}`);
if (values.review) {
  const blocks = entries.map((entry) => {
    const original = Object.entries(entry.shown)
      .map(([name, text]) => `### ${name} before\n\`\`\`\`\n${text}\`\`\`\`\n`)
      .join("\n");
    const result =
      entry.expect === "apply"
        ? Object.entries(entry.after)
            .map(([name, text]) => `### ${name} after (the engine's result)\n\`\`\`\`\n${text}\`\`\`\`\n`)
            .join("\n")
        : `### The engine refused it\n${entry.reason}\n`;
    return `## ${entry.id}\n${original}\n### The reply\n\`\`\`\`\`\n${entry.reply}\n\`\`\`\`\`\n\n${result}`;
  });
  writeFileSync(values.review, blocks.join("\n\n---\n\n"));
}

function filesOf(task: string): Record<string, string> {
  if (task.startsWith("workspace/")) {
    const dir = path.join(WORKSPACES, task.slice("workspace/".length));
    const owned = (JSON.parse(readFileSync(path.join(dir, "task.json"), "utf8")) as { filesOwned: string[] })
      .filesOwned;
    return Object.fromEntries(owned.map((name) => [name, readFileSync(path.join(dir, name), "utf8")]));
  }
  return { "solution.py": problems.get(task)!.prompt };
}
