// Pure: how an exercise is verified on each track, and how its tests are made to run whole.
import path from "node:path";
import type { Track } from "./track.ts";

/** The benchmark's own typecheck and lint configs, written beside the exercise's (never owned by the task). */
export const BENCH_TSCONFIG = "tsconfig.bench.json";
export const BENCH_ESLINT_CONFIG = "eslint.bench.config.mjs";

/**
 * Pure: the exercise's check commands. Python: pytest on the exercise's test files. TypeScript, as the track's CI
 * checks its own solutions: the typecheck and the lint of the solution files, then Jest on every test (its
 * package.json scripts call `corepack yarn`, which a benchmark cannot count on, so the tools are called from the
 * shared node_modules). The tests are not typechecked: flatten-array's and two-bucket's do not typecheck against
 * the maintainers' own solutions (implicit any, a private member the tests read).
 */
export function exerciseCommands(track: Track, files: { solution: readonly string[]; test: readonly string[] }, python = "python3"): string[] {
  if (track === "python") return [`${python} -m pytest -q -p no:cacheprovider ${files.test.map(quote).join(" ")}`];
  return [
    `node node_modules/typescript/bin/tsc --noEmit -p ${BENCH_TSCONFIG}`,
    `node node_modules/eslint/bin/eslint.js -c ${BENCH_ESLINT_CONFIG} ${files.solution.map(quote).join(" ")}`,
    `node node_modules/jest/bin/jest.js --no-cache --ci ${files.test.map((test) => quote(path.basename(test))).join(" ")}`,
  ];
}

/** Pure: a tsconfig that typechecks the solution files (and what they import) with the exercise's own options. */
export function benchTsconfig(solution: readonly string[]): string {
  return `${JSON.stringify({ extends: "./tsconfig.json", include: solution, exclude: ["node_modules"] }, null, 2)}\n`;
}

/**
 * Pure: the lint config of the track's solutions: the exercise's eslint.config.mjs lints the maintainers' solution
 * (.meta/proof.ci.ts) with Exercism's maintainers rules on top of the learners'; the same rules judge the solution
 * files here (with the learners' alone, the maintainers' kindergarten-garden fails no-unnecessary-type-assertion).
 */
export function benchEslintConfig(solution: readonly string[]): string {
  return [
    "import tsEslint from 'typescript-eslint'",
    "import config from '@exercism/eslint-config-typescript'",
    "import maintainersConfig from '@exercism/eslint-config-typescript/maintainers.mjs'",
    "",
    `export default [...tsEslint.config(...config, { files: ${JSON.stringify(solution)}, extends: maintainersConfig }), { ignores: ['node_modules/**/*', '*.cjs', '*.mjs'] }]`,
    "",
  ].join("\n");
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
