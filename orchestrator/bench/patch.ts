// Benchmark: the patch engine against plain `applyPatch` from the `diff` package, on the same corpus.
// Prints, per engine, the share of cases handled correctly and the silent wrong applications.
// Run: bun run bench/patch.ts
import { applyPatch, parsePatch } from "diff";
import { loadCorpus, sameFiles, withChanges, type CorpusCase } from "../src/patch/__fixtures__/corpus.ts";
import { extractDiff } from "../src/patch/extract.ts";
import { planPatch } from "../src/patch/index.ts";

type Verdict = "correct" | "failed" | "silent-wrong";
/** What an engine produced: new owned files, or a refusal (null). Writing outside the owned files counts as wrong. */
type Attempt = { files: Map<string, string | null> | null; touchedUnowned: boolean };

function engine(corpusCase: CorpusCase): Attempt {
  try {
    const plan = planPatch({
      reply: corpusCase.reply,
      files: corpusCase.before,
      maxChangedLines: corpusCase.maxChangedLines ?? 300,
      smallFileBytes: corpusCase.smallFileLimit ?? 8_000,
    });
    return { files: withChanges(corpusCase.before, plan.changes), touchedUnowned: false };
  } catch {
    return { files: null, touchedUnowned: false };
  }
}

const stripPrefix = (name: string | undefined) => (name ?? "").replace(/^[ab]\//, "").split("\t")[0]!;

/** The naive pipeline: take the diff out of the fences, parsePatch, applyPatch per file, trust the names. */
function baseline(corpusCase: CorpusCase): Attempt {
  try {
    const patches = parsePatch(extractDiff(corpusCase.reply) ?? corpusCase.reply);
    if (patches.length === 0 || patches.every((patch) => patch.hunks.length === 0))
      return { files: null, touchedUnowned: false };
    const files = new Map(corpusCase.before);
    let touchedUnowned = false;
    for (const patch of patches) {
      const target = stripPrefix(patch.newFileName === "/dev/null" ? patch.oldFileName : patch.newFileName);
      if (!files.has(target)) touchedUnowned = true;
      const result = applyPatch(files.get(target) ?? "", patch);
      if (result === false) return { files: null, touchedUnowned: false };
      files.set(target, patch.newFileName === "/dev/null" ? null : result);
    }
    return { files, touchedUnowned };
  } catch {
    return { files: null, touchedUnowned: false };
  }
}

function judge(corpusCase: CorpusCase, attempt: Attempt): Verdict {
  if (attempt.files === null) return corpusCase.expect === "reject" ? "correct" : "failed";
  if (attempt.touchedUnowned || corpusCase.after === null) return "silent-wrong";
  return sameFiles(attempt.files, corpusCase.after) ? "correct" : "silent-wrong";
}

const cases = loadCorpus();
const engines = { "smol-coder patch engine": engine, "diff.applyPatch (plain)": baseline };
const rows: string[][] = [];
const byCategory = new Map<string, Record<string, number>>();
for (const [name, run] of Object.entries(engines)) {
  const started = performance.now();
  const verdicts = cases.map((corpusCase) => {
    const verdict = judge(corpusCase, run(corpusCase));
    const tally = byCategory.get(corpusCase.category) ?? {};
    if (verdict === "correct") tally[name] = (tally[name] ?? 0) + 1;
    tally.total = (tally.total ?? 0) + (name.startsWith("smol") ? 1 : 0);
    byCategory.set(corpusCase.category, tally);
    return verdict;
  });
  const ms = performance.now() - started;
  const count = (verdict: Verdict) => verdicts.filter((v) => v === verdict).length;
  rows.push([
    name,
    `${count("correct")}/${cases.length} (${((100 * count("correct")) / cases.length).toFixed(1)}%)`,
    String(count("failed")),
    String(count("silent-wrong")),
    `${(ms / cases.length).toFixed(2)} ms`,
  ]);
  if (process.argv.includes("--verbose")) {
    cases.forEach(
      (corpusCase, index) =>
        verdicts[index] !== "correct" && console.log(`  ${name}: ${corpusCase.name} → ${verdicts[index]}`),
    );
  }
}

const table = (header: string[], body: string[][]) =>
  [header, header.map(() => "---"), ...body].map((cells) => `| ${cells.join(" | ")} |`).join("\n");
console.log(
  `Patch corpus: ${cases.length} cases (${cases.filter((c) => c.expect === "apply").length} should apply, ${cases.filter((c) => c.expect === "reject").length} should be rejected)\n`,
);
console.log(table(["engine", "correct", "refused a good edit", "silent wrong applications", "time per case"], rows));
console.log("\nCorrect by category:\n");
const names = Object.keys(engines);
console.log(
  table(
    ["category", "cases", ...names],
    [...byCategory]
      .sort()
      .map(([category, tally]) => [category, String(tally.total), ...names.map((name) => String(tally[name] ?? 0))]),
  ),
);
