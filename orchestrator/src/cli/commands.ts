// One function per CLI command. Each returns the exit code; errors propagate to index.ts, which maps them.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pino from "pino";
import { formatAnalysis, formatRuns } from "../store/analysis.ts";
import { runBench } from "../benchmark/humaneval/bench.ts";
import type { Config } from "../config/config.ts";
import {
  describeProblems,
  downloadDataset,
  loadDataset,
  OFFICIAL_URL,
  problemIn,
  type Problem,
} from "../humaneval/dataset.ts";
import { ExitCode, TaskInvalid } from "../errors.ts";
import { interruptSignal, type InterruptNotice } from "../interrupt.ts";
import type { PreparedTask } from "../task/prepared.ts";
import { prepareHumanEval, prepareTask } from "../task/prepare.ts";
import { openSession, runRecordedTask, type Session } from "../run/session.ts";
import { VERSION } from "../version.ts";
import { openStore } from "../store/store.ts";
import { parseTask, readTaskText, type HumanEvalTask } from "../task/task.ts";
import { resolveWorkspace } from "../task/workspace.ts";
import { outcomeLines, STATUS_EXIT } from "../run/exit.ts";
import { daemonFor, daemonSolver, viaDaemon } from "./daemonCommands.ts";
import { defaultDatasetPath, defaultLockDir } from "../config/paths.ts";
import { lockWorkspace, type WorkspaceLock } from "../task/lock.ts";
import type { Logger } from "../log/log.ts";
import { scrubSecrets } from "../log/secrets.ts";
import type { Tier } from "../types.ts";
import { emit } from "../log/events.ts";

async function findProblem(task: HumanEvalTask, datasetFlag: string | undefined): Promise<Problem> {
  const file = task.dataset ?? datasetFlag ?? defaultDatasetPath(process.env);
  return problemIn(await loadDataset(file), task.problemId, file);
}

export type RunOptions = {
  file?: string;
  workspace: string;
  commit?: boolean;
  pretty?: boolean;
  logFile: boolean;
  dataset?: string;
  debug?: string;
  wait?: boolean;
  /** false: --no-daemon, always in this process. */
  daemon?: boolean;
  socket?: string;
  /** Flags that change the config were given: they apply to this process only, so the daemon cannot take the task. */
  configFlags?: string[];
};

/** The workspace's lock: another run that holds it is waited for (one event says so), or refused with --no-wait. */
function holdWorkspace(root: string, wait: boolean, log: Logger, signal: AbortSignal): Promise<WorkspaceLock> {
  return lockWorkspace({
    lockDir: defaultLockDir(process.env),
    workspace: root,
    wait,
    signal,
    onWait: (holder, lockFile) =>
      emit(
        log,
        "workspace_locked",
        { workspace: root, holderPid: holder.pid, holderHost: holder.host, since: holder.startedAt, lockFile },
        { message: "waiting for the run that holds the workspace" },
      ),
    onStale: (holder, reason) =>
      emit(
        log,
        "workspace_lock_reclaimed",
        { workspace: root, holderPid: holder?.pid ?? null, reason },
        { message: "took over a stale workspace lock" },
      ),
  });
}

function interruptReceived(session: Session, notice: InterruptNotice): void {
  emit(
    session.log,
    "interrupt_received",
    { ...notice },
    { message: notice.count === 1 ? "interrupted: stopping" : "interrupt received while stopping" },
  );
}

export async function runCommand(config: Config, options: RunOptions): Promise<number> {
  const { text, source } = await readTaskText(options.file, {
    isTTY: process.stdin.isTTY,
    text: () => Bun.stdin.text(),
  });
  const task = parseTask(text, source);
  let prepared: PreparedTask;
  if (task.kind === "humaneval") {
    if (options.commit)
      throw new TaskInvalid(
        "--commit",
        "does not apply to HumanEval tasks",
        "leave out --commit; the workspace is a fresh git directory",
      );
    const problem = await findProblem(task, options.dataset);
    prepared = await prepareHumanEval(problem, mkdtempSync(path.join(tmpdir(), "smol-coder-humaneval-")), config, task);
  } else {
    const root = await resolveWorkspace(options.workspace);
    const daemon = await daemonFor(options, "it");
    if (daemon) return viaDaemon(daemon, { task, workspace: root, commit: Boolean(options.commit), priority: 0 });
    prepared = await prepareTask(task, root, config, { commit: Boolean(options.commit) });
  }
  const session = openSession(config, {
    pretty: options.pretty ?? process.stdout.isTTY === true,
    logFile: options.logFile,
  });
  const signal = interruptSignal({
    cleanup: "restoring the workspace",
    onSignal: (notice) => interruptReceived(session, notice),
  });
  try {
    const { log, store } = session;
    // A HumanEval task's workspace is its own fresh directory: only a user's workspace is shared.
    await using workspaceLock =
      prepared.kind === "workspace" ? await holdWorkspace(prepared.root, options.wait !== false, log, signal) : null;
    // Started before anything is recorded: no sandbox, python or pytest stops the run before it begins.
    await session.sandbox();
    if (prepared.check.kind === "pytest") await session.grader();
    const runId = store.startRun({ kind: "run", args: { task, workspace: prepared.root } });
    emit(log, "orchestrator_started", {
      version: VERSION,
      runId,
      endpoint: config.endpoint.url,
      workspace: prepared.root,
    });
    const outcome = await runRecordedTask(session, prepared, {
      runId,
      commit: Boolean(options.commit),
      debugDir: options.debug,
      signal,
    }).catch((error: unknown) => {
      store.finishRun(runId, signal.aborted ? "interrupted" : "crashed"); // never left 'running'
      throw error;
    });
    store.finishRun(runId, outcome.status);
    process.stderr.write(
      scrubSecrets(
        `${outcomeLines(outcome, runId, prepared.kind === "humaneval" ? prepared.root : undefined).join("\n")}\n`,
      ),
    );
    return STATUS_EXIT[outcome.status];
  } catch (error) {
    throw session.crashed(error);
  } finally {
    await session.close();
  }
}

export type BenchFlags = {
  dataset?: string;
  problems?: string;
  limit?: number;
  concurrency: number;
  out?: string;
  resume?: boolean;
  debug?: string;
  logFile: boolean;
  baseline?: Tier[];
  /** As for run: false is --no-daemon; config flags keep the benchmark in this process. */
  daemon?: boolean;
  socket?: string;
  configFlags?: string[];
};

export async function benchCommand(config: Config, flags: BenchFlags): Promise<number> {
  if (flags.resume && !flags.out)
    throw new TaskInvalid(
      "--resume",
      "needs the run's --out directory",
      "pass --out DIR with the directory of the run to continue",
    );
  const outDir = path.resolve(
    flags.out ?? path.join(config.logDir, `bench-${new Date().toISOString().replace(/[:.]/g, "-")}`),
  );
  const daemon = await daemonFor(flags, "the benchmark");
  if (daemon)
    process.stderr.write(
      `smol-coder: the problems go to the daemon on ${daemon.where} (its config and tier limits apply; --no-daemon runs them here)\n`,
    );
  const session = openSession(config, {
    pretty: false,
    logFile: flags.logFile,
    destination: pino.destination({ dest: path.join(outDir, "events.jsonl"), append: true, sync: true, mkdir: true }),
  });
  try {
    const result = await runBench(session, {
      dataset: flags.dataset ?? defaultDatasetPath(process.env),
      problems: flags.problems,
      limit: flags.limit,
      concurrency: flags.concurrency,
      outDir,
      resume: Boolean(flags.resume),
      debugDir: flags.debug,
      progress: process.stderr.isTTY === true,
      baseline: flags.baseline,
      solver: daemon ? daemonSolver(daemon) : undefined,
      signal: interruptSignal({
        cleanup: "stopping the run and closing its records",
        onSignal: (notice) => interruptReceived(session, notice),
      }),
    });
    const s = result.summary;
    const lines = [
      `run ${result.runId}${result.interrupted ? " (interrupted: rerun with --resume)" : ""}${result.resumed ? `, ${result.resumed} problem(s) from the earlier run` : ""}`,
      `problems: ${s.total}, solved: ${s.solved}`,
      `pass@1 (first attempt, before test feedback): ${(s.passAt1 * 100).toFixed(1)}%`,
      `solve rate with test feedback: ${(s.solveRateWithFeedback * 100).toFixed(1)}%`,
      `solved at fast/deep/reviewer: ${s.solvedByFinalTier.fast}/${s.solvedByFinalTier.deep}/${s.solvedByFinalTier.reviewer}; escalations ${s.escalations}, checkpoints ${s.checkpoints}, mean attempts ${s.meanAttempts}`,
      `cost: $${s.costUsd.toFixed(4)}; frontier-only estimate $${s.frontierOnly.estimateUsd.toFixed(4)} (saving $${s.frontierOnly.savingUsd.toFixed(4)})`,
      ...result.baselines.map(
        (b) => `${b.tier} model (${b.model}) asked directly: ${b.solved}/${b.total} (${(b.passAt1 * 100).toFixed(1)}%)`,
      ),
      ...(s.notSolved.unreachable + s.notSolved.rejected + s.notSolved.crashed > 0
        ? [
            `no verdict: ${s.notSolved.unreachable} unreachable, ${s.notSolved.rejected} rejected, ${s.notSolved.crashed} crashed; --resume --out ${outDir} redoes them`,
          ]
        : []),
      `wall: ${s.wallSeconds} s; results in ${outDir}`,
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
    if (result.stoppedUnreachable !== undefined) {
      process.stderr.write(
        `smol-coder: stopped after ${result.stoppedUnreachable} problems in a row ended unreachable (is the endpoint up? smol-coder doctor); once it is, rerun with --resume --out ${outDir}: it redoes them\n`,
      );
      return ExitCode.endpointUnreachable;
    }
    return result.interrupted ? ExitCode.interrupted : ExitCode.complete;
  } catch (error) {
    throw session.crashed(error);
  } finally {
    await session.close();
  }
}

export async function listProblemsCommand(dataset: string | undefined): Promise<number> {
  const rows = describeProblems(await loadDataset(dataset ?? defaultDatasetPath(process.env)));
  // One write: a reader that stops early (| head) then gets whole lines and smol-coder no broken-pipe trace.
  process.stdout.write(
    rows.map((row) => `${String(row.index).padStart(3)}  ${row.taskId.padEnd(14)}  ${row.entryPoint}\n`).join(""),
  );
  return ExitCode.complete;
}

export async function downloadCommand(options: { url?: string; dest?: string }): Promise<number> {
  const url = options.url ?? OFFICIAL_URL;
  const result = await downloadDataset({
    url,
    dest: path.resolve(options.dest ?? defaultDatasetPath(process.env)),
    ...(url === OFFICIAL_URL ? {} : { expectedSha256: null }),
  });
  process.stdout.write(
    `saved ${result.problems} problems (${result.bytes} bytes, sha256 ${result.sha256}) to ${result.path}\n`,
  );
  return ExitCode.complete;
}

export function runsCommand(config: Config, limit: number): number {
  const store = openStore(config.db);
  try {
    process.stdout.write(`${formatRuns(store.listRuns(limit))}\n`);
  } finally {
    store.close();
  }
  return ExitCode.complete;
}

export function analyzeCommand(config: Config, runId: string): number {
  const store = openStore(config.db);
  try {
    const detail = store.runDetail(runId);
    if (!detail) throw new TaskInvalid("RUN_ID", `no run ${runId} in ${config.db}`, "see smol-coder runs for the ids");
    process.stdout.write(`${formatAnalysis(detail, config.prices[config.tiers.reviewer.model])}\n`);
  } finally {
    store.close();
  }
  return ExitCode.complete;
}
