// Layer rules, checked in CI (bun run deps). Type-only imports count as dependencies (tsPreCompilationDeps),
// so a cycle through `import type` fails too.
/** Pure decisions: plain functions of plain data. They import each other, zod and diff, and nothing that does I/O. */
const PURE = [
  "^src/types\\.ts$",
  "^src/errors\\.ts$",
  "^src/config/(config|sections)\\.ts$",
  "^src/config/paths\\.ts$",
  "^src/log/secrets\\.ts$",
  "^src/run/policy\\.ts$",
  "^src/task/route\\.ts$",
  "^src/run/state\\.ts$",
  "^src/run/exit\\.ts$",
  "^src/models/context\\.ts$",
  "^src/models/pricing\\.ts$",
  "^src/models/retry\\.ts$",
  "^src/patch/(apply|definitions|extract|index|owned|paths|stray|formats|match|parse|text|types|unmarked|unnamed)\\.ts$",
  "^src/guidance/(guidance|prompt|chat)\\.ts$",
  "^src/guidance/prompts/index\\.ts$",
  "^src/verify/diagnostics\\.ts$",
  "^src/humaneval/baseline\\.ts$",
  "^src/verify/grade\\.ts$",
  "^src/benchmark/humaneval/report\\.ts$",
  "^src/benchmark/exercism/(aiderProtocol|checks|lines|protocol|report|selection|track)\\.ts$",
  "^src/benchmark/pool\\.ts$",
  "^src/sandbox/bwrap\\.ts$",
  "^src/stack/(stack|models)\\.ts$",
  "^src/doctor/(doctor|check|machine|ollama|tiers|daemonCheck)\\.ts$",
  "^src/store/(analysis|records)\\.ts$",
  "^src/models/probe\\.ts$",
  "^src/cli/failure\\.ts$",
  "^src/task/commitFailure\\.ts$",
];
const IO_BUILTINS = "^(node:)?(fs|fs/promises|child_process|net|http|https|dgram|worker_threads|cluster|readline|tty)$|^bun(:|$)";

module.exports = {
  forbidden: [
    { name: "no-circular", severity: "error", comment: "Import cycles, type-only ones included, are not allowed.", from: {}, to: { circular: true } },
    {
      name: "the-application-is-on-top",
      severity: "error",
      comment:
        "The application (cli, daemon, benchmark) uses the task loop (run) and its parts; none of those imports it.",
      from: {
        path: "^src/(run|task|guidance|patch|verify|models|sandbox|store|config|log|humaneval|queue)/",
        pathNot: "\\.test\\.ts$",
      },
      to: { path: "^src/(cli|daemon|benchmark)/" },
    },
    {
      name: "the-ground-imports-no-folder",
      severity: "error",
      comment: "src/'s own shared files (errors, types, version, interrupt) are the ground: they import no folder.",
      from: { path: "^src/(errors|types|version|interrupt)\\.ts$" },
      to: { path: "^src/[^/]+/" },
    },
    {
      name: "nothing-imports-the-cli",
      severity: "error",
      comment: "cli/ is the top layer: only the entry point (src/index.ts) and cli/ itself import it.",
      from: { path: "^src/", pathNot: ["^src/index\\.ts$", "^src/cli/"] },
      to: { path: "^src/cli/" },
    },
    {
      name: "pure-imports-only-pure",
      severity: "error",
      comment: "A pure decision module imports only other pure modules (no I/O module of ours).",
      from: { path: PURE, pathNot: "\\.test\\.ts$" },
      to: { dependencyTypes: ["local"], pathNot: [...PURE, "\\.(txt|py)$"] },
    },
    {
      name: "pure-does-no-io",
      severity: "error",
      comment: "A pure decision module imports no I/O builtin (files, processes, sockets, Bun APIs).",
      from: { path: PURE, pathNot: "\\.test\\.ts$" },
      to: { dependencyTypes: ["core"], path: IO_BUILTINS },
    },
    {
      name: "pure-npm-is-data-only",
      severity: "error",
      comment: "Of npm packages, pure modules use only zod (schemas) and diff (text).",
      from: { path: PURE, pathNot: "\\.test\\.ts$" },
      to: { dependencyTypes: ["npm"], pathNot: "node_modules/(zod|diff)/" },
    },
    {
      name: "tests-stay-out-of-code",
      severity: "error",
      comment: "Code never imports a test or a test helper.",
      from: { path: "^src/", pathNot: "\\.test\\.ts$|__fixtures__" },
      to: { path: "\\.test\\.ts$|^test/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    exclude: { path: "(^|/)(corpus|fixtures)/" },
  },
};
