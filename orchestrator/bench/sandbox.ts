// Benchmark: what the bubblewrap sandbox adds to one workspace verification command. Each command runs through
// the real verifier, jailed and with --unsafe-no-sandbox, interleaved in the same run, and the medians are compared.
// Run: bun run bench/sandbox.ts [--runs N]
import { cpSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { buildConfig } from "../src/config/config.ts";
import { openSandbox, type Sandbox } from "../src/sandbox/sandbox.ts";
import { runJailedCommand } from "../src/verify/commands.ts";

const ORCHESTRATOR = path.join(import.meta.dir, "..");
const COMMANDS = [
  { label: "true (the bare cost)", command: "true" },
  { label: "python3 -c pass", command: "python3 -c pass" },
  { label: "pytest on one test file", command: "python3 -m pytest -q -p no:cacheprovider test_one.py" },
  { label: "tsc --noEmit (TypeScript fixture)", command: "./node_modules/.bin/tsc --noEmit -p ." },
];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

async function time(command: string, cwd: string, sandbox: Sandbox): Promise<number> {
  const result = await runJailedCommand(command, { cwd, timeoutMs: 60_000, sandbox });
  if (result.exitCode !== 0)
    throw new Error(
      `${command} failed (${sandbox.enabled ? "sandboxed" : "unsandboxed"}): ${result.output.slice(-500)}`,
    );
  return result.durationMs;
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { runs: { type: "string", default: "15" } } });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) {
    console.error(`--runs must be a positive integer, not ${values.runs}`);
    return 2;
  }
  const settings = buildConfig([{ sandbox: { readOnly: [path.join(ORCHESTRATOR, "node_modules")] } }]).sandbox;
  const started = performance.now();
  const jailed = await openSandbox(settings, { unsafe: false });
  const openMs = performance.now() - started;
  const unjailed = await openSandbox(settings, { unsafe: true });
  const dir = mkdtempSync(path.join(tmpdir(), "smol-bench-sandbox-"));
  try {
    cpSync(path.join(ORCHESTRATOR, "test", "fixtures", "ts-workspace"), dir, { recursive: true });
    symlinkSync(path.join(ORCHESTRATOR, "node_modules"), path.join(dir, "node_modules"));
    await Bun.write(path.join(dir, "test_one.py"), "def test_one():\n    assert 1 + 1 == 2\n");
    console.log(`sandbox: ${jailed.description}`);
    console.log(`start-up self-test: ${openMs.toFixed(0)} ms (once per process)`);
    console.log(
      `${runs} runs of each command, sandboxed and unsandboxed interleaved; medians of the verifier's wall time per command\n`,
    );
    console.log("| command | unsandboxed | sandboxed | added | ratio |\n| --- | --- | --- | --- | --- |");
    for (const { label, command } of COMMANDS) {
      const plain: number[] = [];
      const boxed: number[] = [];
      await time(command, dir, unjailed); // warm the page cache for both
      for (let i = 0; i < runs; i++) {
        plain.push(await time(command, dir, unjailed));
        boxed.push(await time(command, dir, jailed));
      }
      const [p, b] = [median(plain), median(boxed)];
      console.log(
        `| ${label} | ${p.toFixed(0)} ms | ${b.toFixed(0)} ms | ${(b - p).toFixed(0)} ms | ${(b / Math.max(p, 1)).toFixed(2)}× |`,
      );
    }
    return 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

process.exitCode = await main();
