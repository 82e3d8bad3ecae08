// Benchmark: what the workspace view (sandbox/view.ts: an overlay whose writes are thrown away, secret-named files
// masked) costs one verification, on a workspace with a 200 MB node_modules. Interleaved in one run: the same
// command jailed over the workspace read-only (bubblewrap alone, no view), and through a whole view (made, one
// command in it, thrown away). Medians, and the view's parts.
// Run: bun run bench/view.ts [--runs N] [--mb 200]
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { buildConfig } from "../src/config/config.ts";
import { openSandbox, type Sandbox } from "../src/sandbox/sandbox.ts";
import { runJailedCommand } from "../src/verify/commands.ts";

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** node_modules of `mb` MB in packages of 20 files (40 KB each on average), plus a small source tree with a .env. */
function largeWorkspace(mb: number): { dir: string; files: number } {
  const dir = mkdtempSync(path.join(tmpdir(), "smol-bench-view-"));
  const chunk = Buffer.alloc(40 * 1024, "x");
  const count = Math.ceil((mb * 1024 * 1024) / chunk.length);
  for (let i = 0; i < count; i++) {
    const pkg = path.join(dir, "node_modules", `pkg-${Math.floor(i / 20)}`, "lib");
    if (i % 20 === 0) mkdirSync(pkg, { recursive: true });
    writeFileSync(path.join(pkg, `f${i % 20}.js`), chunk);
  }
  for (let i = 0; i < 200; i++) {
    mkdirSync(path.join(dir, "src", `m${Math.floor(i / 10)}`), { recursive: true });
    writeFileSync(path.join(dir, "src", `m${Math.floor(i / 10)}`, `f${i}.ts`), `export const x${i} = ${i};\n`);
  }
  writeFileSync(path.join(dir, ".env"), "TOKEN=not-for-tests\n");
  return { dir, files: count + 201 };
}

async function bare(command: string, cwd: string, sandbox: Sandbox): Promise<number> {
  const started = performance.now();
  const jail = await sandbox.jail({ workspace: cwd, writable: false, command: ["/bin/sh", "-c", command] });
  const child = Bun.spawn(jail.argv, { cwd, env: jail.env, stdout: "ignore", stderr: "pipe" });
  const code = await child.exited;
  await jail.dispose();
  if (code !== 0) throw new Error(`${command} failed without a view: ${await new Response(child.stderr).text()}`);
  return performance.now() - started;
}

async function viewed(
  command: string,
  cwd: string,
  sandbox: Sandbox,
  parts: { open: number[]; dispose: number[] },
): Promise<number> {
  const started = performance.now();
  const view = await sandbox.view(cwd, ["src/m0/f0.ts"]);
  parts.open.push(performance.now() - started);
  const result = await runJailedCommand(command, { cwd, timeoutMs: 60_000, sandbox, view });
  const disposing = performance.now();
  await view.dispose();
  parts.dispose.push(performance.now() - disposing);
  if (result.exitCode !== 0) throw new Error(`${command} failed in a view: ${result.output.slice(-500)}`);
  return performance.now() - started;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { runs: { type: "string", default: "21" }, mb: { type: "string", default: "200" } },
  });
  const [runs, mb] = [Number(values.runs), Number(values.mb)];
  if (!Number.isInteger(runs) || runs < 1 || !(mb > 0)) {
    console.error(`--runs must be a positive integer and --mb a positive number, not ${values.runs} and ${values.mb}`);
    return 2;
  }
  const sandbox = await openSandbox(buildConfig([{}]).sandbox, { unsafe: false });
  const { dir, files } = largeWorkspace(mb);
  try {
    console.log(`sandbox: ${sandbox.description}`);
    console.log(`workspace: ${mb} MB node_modules, ${files} files; ${runs} runs of each, interleaved; medians\n`);
    console.log(
      "| command | bubblewrap alone (read-only workspace) | in a view (made, used, thrown away) | added by the view | view made | view thrown away |",
    );
    console.log("| --- | --- | --- | --- | --- | --- |");
    for (const command of [
      "true",
      "cat node_modules/pkg-0/lib/f0.js > /dev/null && echo built > dist.js && test -s dist.js",
    ]) {
      const plain: number[] = [];
      const boxed: number[] = [];
      const parts = { open: [] as number[], dispose: [] as number[] };
      await viewed(command, dir, sandbox, { open: [], dispose: [] }); // warm the page cache
      for (let i = 0; i < runs; i++) {
        plain.push(await bare(command.replace(/ && echo built.*/, ""), dir, sandbox));
        boxed.push(await viewed(command, dir, sandbox, parts));
      }
      const [p, b] = [median(plain), median(boxed)];
      console.log(
        `| \`${command.slice(0, 40)}${command.length > 40 ? "…" : ""}\` | ${p.toFixed(0)} ms | ${b.toFixed(0)} ms | ${(b - p).toFixed(0)} ms | ${median(parts.open).toFixed(1)} ms | ${median(parts.dispose).toFixed(1)} ms |`,
      );
    }
    return 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

process.exitCode = await main();
