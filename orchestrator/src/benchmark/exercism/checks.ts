// Pure: how an exercise is verified on each track, and how its tests are made to run whole.
import path from "node:path";
import type { Track } from "./track.ts";

/** The benchmark's own typecheck config, written beside the exercise's (never owned by the task). */
export const BENCH_TSCONFIG = "tsconfig.bench.json";

/**
 * Pure: the exercise's check commands. Python: pytest on the exercise's test files. TypeScript: the typecheck of
 * the solution files, then Jest on every test (the track's package.json scripts call `corepack yarn`, which a
 * benchmark cannot count on, so the tools are called from the shared node_modules). Not judged, each for a reason
 * the oracle found: the tests' types (flatten-array's and two-bucket's do not typecheck against the maintainers'
 * own solutions) and ESLint (relative-distance's solution fails the exercise's own lint config, and
 * kindergarten-garden's the learners' rules); Exercism's own test runner judges by the tests too.
 */
export function exerciseCommands(
  track: Track,
  files: { solution: readonly string[]; test: readonly string[] },
  python = "python3",
): string[] {
  if (track === "python") return [`${python} -m pytest -q -p no:cacheprovider ${files.test.map(quote).join(" ")}`];
  return [
    `node node_modules/typescript/bin/tsc --noEmit -p ${BENCH_TSCONFIG}`,
    `node node_modules/jest/bin/jest.js --no-cache --ci ${files.test.map((test) => quote(path.basename(test))).join(" ")}`,
  ];
}

/** Pure: a tsconfig that typechecks the solution files (and what they import) with the exercise's own options. */
export function benchTsconfig(solution: readonly string[]): string {
  return `${JSON.stringify({ extends: "./tsconfig.json", include: solution, exclude: ["node_modules"] }, null, 2)}\n`;
}

function quote(word: string): string {
  return /^[\w./@+-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}

/**
 * Pure: a TypeScript test file with every case run. The track marks each case after the first `xit` / `xtest`
 * (skipped for a learner, who un-skips them one by one); a benchmark runs them all, as the field's harnesses do.
 */
export function unskipTests(text: string): string {
  return text.replace(/(^|[^\w.])x(it|test|describe)(\s*[(.])/gm, "$1$2$3");
}
