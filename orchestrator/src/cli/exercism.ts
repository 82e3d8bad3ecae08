// `smol-coder bench exercism`: the Exercism benchmark from the command line, its summary on stdout.
import path from "node:path";
import pino from "pino";
import type { Config } from "../config/config.ts";
import { dataDir } from "../config/paths.ts";
import { ExitCode, TaskInvalid } from "../errors.ts";
import { typescriptDependencies } from "../benchmark/exercism/dependencies.ts";
import { runExercism } from "../benchmark/exercism/bench.ts";
import type { Track } from "../benchmark/exercism/track.ts";
import { interruptSignal } from "../interrupt.ts";
import { openSession } from "../run/session.ts";
import { daemonFor, outcomeOf } from "./daemonCommands.ts";
import type { Tier } from "../types.ts";

export type ExercismFlags = {
  track: Track;
  exercises: string;
  only?: string;
  sample?: number;
  seed: number;
  limit?: number;
  oracle?: boolean;
  baseline?: Tier[];
  baselineTries: number;
  startTier?: Tier;
  concurrency: number;
  out?: string;
  resume?: boolean;
  debug?: string;
  logFile: boolean;
  /** As for bench humaneval: false is --no-daemon; config flags keep the benchmark in this process. */
  daemon?: boolean;
  socket?: string;
  configFlags?: string[];
};

export async function exercismCommand(config: Config, flags: ExercismFlags): Promise<number> {
  if (flags.resume && !flags.out)
    throw new TaskInvalid(
      "--resume",
      "needs the run's --out directory",
      "pass --out DIR with the directory of the run to continue",
    );
  if (flags.oracle && flags.baseline?.length)
    throw new TaskInvalid(
      "--oracle",
      "asks no model, so it takes no --baseline",
      "run the oracle alone, then the benchmark with --baseline",
    );
  // smol-coder's tasks go to a daemon that answers (its config and limits apply); the baseline and oracle run here.
  // The TypeScript track's tools are installed for this process's sandbox, which a daemon's does not see.
  const local = flags.oracle || flags.track === "typescript";
  const daemon = local ? null : await daemonFor(flags, "the benchmark");
  if (daemon)
    process.stderr.write(
      `smol-coder: the exercises go to the daemon on ${daemon.where} (its config and tier limits apply, its patch.acceptUnchanged too, which this process sets to score as the baseline does; the baseline is asked from here; --no-daemon runs all here)\n`,
    );
  const outDir = path.resolve(
    flags.out ?? path.join(config.logDir, `exercism-${flags.track}-${new Date().toISOString().replace(/[:.]/g, "-")}`),
  );
  // The TypeScript tools are installed before the sandbox opens: verification must be allowed to read them.
  const nodeModules =
    flags.track === "typescript"
      ? await typescriptDependencies(path.join(dataDir(process.env), "exercism"), (line) =>
          process.stderr.write(`smol-coder: ${line}\n`),
        )
      : undefined;
  const sandboxed = nodeModules
    ? { ...config, sandbox: { ...config.sandbox, readOnly: [...config.sandbox.readOnly, path.dirname(nodeModules)] } }
    : config;
  // Scored as the field's benchmarks score (and the baseline here): an exercise whose file, written back unchanged,
  // passes its tests is solved (the refactoring exercises). A daemon's own config decides for the tasks it runs.
  const scored = { ...sandboxed, patch: { ...sandboxed.patch, acceptUnchanged: true } };
  const session = openSession(scored, {
    pretty: false,
    logFile: flags.logFile,
    destination: pino.destination({ dest: path.join(outDir, "events.jsonl"), append: true, sync: true, mkdir: true }),
  });
  try {
    const result = await runExercism(session, {
      track: flags.track,
      exercisesDir: path.resolve(flags.exercises),
      selection: { only: flags.only, sample: flags.sample, seed: flags.seed, limit: flags.limit },
      concurrency: flags.concurrency,
      outDir,
      resume: Boolean(flags.resume),
      progress: process.stderr.isTTY === true,
      oracle: Boolean(flags.oracle),
      baseline: flags.baseline ?? [],
      baselineTries: flags.baselineTries,
      startTier: flags.startTier,
      nodeModules,
      debugDir: flags.debug,
      submit: daemon
        ? (submission, signal) => outcomeOf(daemon, { ...submission, commit: false, priority: 0 }, signal)
        : undefined,
      signal: interruptSignal({ cleanup: "stopping the run and closing its records", onSignal: () => undefined }),
    });
    const s = result.summary;
    const lines = [
      `run ${result.runId}${result.interrupted ? " (interrupted: rerun with --resume)" : ""}: ${s.exercises} ${s.track} exercises`,
    ];
    if (s.oracle)
      lines.push(
        `oracle: ${s.oracle.passed}/${s.oracle.total} pass${s.oracle.failed.length ? ` (failed: ${s.oracle.failed.join(", ")})` : ""}`,
      );
    for (const arm of s.arms) {
      const after = arm.solvedAfter.map((n, k) => `try ${k + 1}: ${n}/${arm.total}`).join(", ");
      lines.push(
        `${arm.arm} [${arm.tier}, ${arm.model}]: ${after}; well-formed ${arm.wellFormed}/${arm.replies}; model time ${arm.modelSeconds} s${arm.computeSeconds === null ? "" : ` (server compute ${arm.computeSeconds} s)`}`,
      );
    }
    if (s.arms.some((arm) => arm.arm === "smol-coder"))
      lines.push(
        `smol-coder's replies refused before any test: ${s.refusedReplies}; that also wrote files the task does not own (left out): ${s.repliesWithIgnoredFiles}`,
      );
    lines.push(`wall: ${s.wallSeconds} s; results in ${outDir}`);
    process.stdout.write(`${lines.join("\n")}\n`);
    if (result.stoppedUnreachable !== undefined) {
      process.stderr.write(
        `smol-coder: stopped after ${result.stoppedUnreachable} exercises in a row ended unreachable (is the endpoint up? smol-coder doctor); once it is, rerun with --resume --out ${outDir}\n`,
      );
      return ExitCode.endpointUnreachable;
    }
    if (s.oracle && s.oracle.passed < s.oracle.total) return ExitCode.abort;
    return result.interrupted ? ExitCode.interrupted : ExitCode.complete;
  } catch (error) {
    throw session.crashed(error);
  } finally {
    await session.close();
  }
}
