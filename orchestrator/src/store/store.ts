import { z } from "zod";
import { StoreInvalid } from "../errors.ts";
import { connect, SCHEMA_VERSION } from "./schema.ts";
import type {
  Attempt,
  CheckpointRecord,
  FinalStatus,
  ModelCall,
  RoleUsage,
  RunDetail,
  RunKind,
  RunSummary,
  Spec,
  SpecToSave,
  TaskDetail,
  TaskFinish,
  TaskKind,
} from "./records.ts";
import { ChatMessage, CheckpointSections, type Role } from "../types.ts";
import { currentBootId, pidAlive } from "../task/lock.ts";

export { SCHEMA_VERSION, StoreInvalid };

export type * from "./records.ts";
export { runIdFor } from "./records.ts";
import { runIdFor } from "./records.ts";

// JSON columns are the one part SQLite cannot check beyond json_valid, so they are parsed on the way out.
const ChatMessages = z.array(ChatMessage);
const Args = z.record(z.string(), z.unknown());
const Errors = z.array(z.string());

/** Whether the process that recorded a run still runs it: its pid is alive, on this boot of the machine. */
export type Liveness = (pid: number, bootId: string | null) => boolean;
export type StoreOptions = { now?: () => Date; busyTimeoutMs?: number; liveness?: Liveness };

const thisMachine: Liveness = (pid, bootId) => (bootId === null || bootId === currentBootId()) && pidAlive(pid);

/** Pure: a run still 'running' whose process is gone was killed (SIGKILL, power cut): it ends 'interrupted'. */
export function abandoned(run: { pid: number | null; bootId: string | null }, liveness: Liveness): boolean {
  return run.pid !== null && !liveness(run.pid, run.bootId);
}
export type RunStore = ReturnType<typeof openStore>;

/** Opens (creating if absent) the run store. ":memory:" gives a private, throwaway store. */
export function openStore(file: string, options: StoreOptions = {}) {
  const now = () => (options.now?.() ?? new Date()).toISOString();
  const db = connect(file, options.busyTimeoutMs ?? 10_000);
  closeAbandoned(options.liveness ?? thisMachine);
  const parseJson = <T>(schema: z.ZodType<T>, text: string, column: string): T => {
    const parsed = schema.safeParse(JSON.parse(text));
    if (!parsed.success)
      throw new StoreInvalid(file, `holds a malformed ${column} (${parsed.error.issues[0]?.message})`);
    return parsed.data;
  };

  const saveSpecOnce = db.transaction((spec: SpecToSave): Spec => {
    db.query(
      `INSERT INTO specs (key, model, prompt_version, text, created_at, task_id)
       VALUES ($key, $model, $promptVersion, $text, $createdAt, $taskId) ON CONFLICT (key) DO NOTHING`,
    ).run({ ...spec, createdAt: now() });
    return findSpec(spec.key)!;
  });

  /** Closes the records of runs whose process died without closing them, and of their tasks. */
  function closeAbandoned(liveness: Liveness): void {
    const running = db
      .query<{ id: string; pid: number | null; bootId: string | null }, []>(
        "SELECT id, pid, boot_id AS bootId FROM runs WHERE status = 'running'",
      )
      .all();
    const close = db.transaction((id: string) => {
      db.query("UPDATE tasks SET status = 'interrupted', finished_at = ? WHERE run_id = ? AND status = 'running'").run(
        now(),
        id,
      );
      db.query("UPDATE runs SET status = 'interrupted', finished_at = ? WHERE id = ? AND status = 'running'").run(
        now(),
        id,
      );
    });
    for (const run of running) if (abandoned(run, liveness)) close(run.id);
  }

  function findSpec(key: string): Spec | null {
    return db
      .query<Spec, [string]>("SELECT text, model, prompt_version AS promptVersion FROM specs WHERE key = ?")
      .get(key);
  }

  function checkpointsByTask(runId: string): Map<number, CheckpointRecord[]> {
    type Row = Omit<CheckpointRecord, "sections"> & { taskId: number; sections: string };
    const rows = db
      .query<Row, [string]>(
        `SELECT c.task_id AS taskId, c.n, c.after_attempt AS afterAttempt, c.from_tier AS fromTier, c.to_tier AS toTier, c.stage, c.sections, c.text
         FROM checkpoints c JOIN tasks t ON t.id = c.task_id WHERE t.run_id = ? ORDER BY c.task_id, c.n`,
      )
      .all(runId);
    const byTask = new Map<number, CheckpointRecord[]>();
    for (const { taskId, ...row } of rows) {
      const list = byTask.get(taskId) ?? [];
      list.push({ ...row, sections: parseJson(CheckpointSections, row.sections, "checkpoint sections") });
      byTask.set(taskId, list);
    }
    return byTask;
  }

  function usageByTask(runId: string): Map<number, Partial<Record<Role, RoleUsage>>> {
    type Row = RoleUsage & { taskId: number; role: Role };
    const rows = db
      .query<Row, [string]>(
        `SELECT m.task_id AS taskId, m.role, count(*) AS calls, sum(m.tokens_in) AS tokensIn, sum(m.tokens_out) AS tokensOut, sum(m.tokens_cached) AS tokensCached,
                total(m.cost_usd) AS costUsd, sum(m.cost_source = 'unpriced') AS unpricedCalls
         FROM model_calls m JOIN tasks t ON t.id = m.task_id WHERE t.run_id = ? GROUP BY m.task_id, m.role`,
      )
      .all(runId);
    const byTask = new Map<number, Partial<Record<Role, RoleUsage>>>();
    for (const { taskId, role, ...usage } of rows) byTask.set(taskId, { ...byTask.get(taskId), [role]: usage });
    return byTask;
  }

  // db.query compiles each statement once and caches it on the connection.
  return {
    file,
    startRun(run: { kind: RunKind; args: Record<string, unknown> }): string {
      const insert = db.query(
        "INSERT INTO runs (id, kind, started_at, args, pid, boot_id) VALUES ($id, $kind, $startedAt, $args, $pid, $bootId) ON CONFLICT (id) DO NOTHING",
      );
      // A clash needs two runs in the same second drawing the same 16-bit suffix; draw again.
      for (;;) {
        const startedAt = options.now?.() ?? new Date();
        const id = runIdFor(startedAt, randomSuffix());
        if (
          insert.run({
            id,
            kind: run.kind,
            startedAt: startedAt.toISOString(),
            args: JSON.stringify(run.args),
            pid: process.pid,
            bootId: currentBootId(),
          }).changes === 1
        )
          return id;
      }
    },
    finishRun(runId: string, status: FinalStatus): void {
      db.query("UPDATE runs SET status = ?, finished_at = ? WHERE id = ?").run(status, now(), runId);
    },
    startTask(runId: string, task: { taskKey: string; kind: TaskKind }): number {
      const row = db
        .query<{ id: number }, [string, string, string, string]>(
          "INSERT INTO tasks (run_id, task_key, kind, started_at) VALUES (?, ?, ?, ?) RETURNING id",
        )
        .get(runId, task.taskKey, task.kind, now());
      return row!.id;
    },
    finishTask(taskId: number, finish: TaskFinish): void {
      db.query(
        `UPDATE tasks SET status = $status, attempts = $attempts, final_tier = $finalTier, passed_first_attempt = $passedFirstAttempt,
           wall_ms = $wallMs, finished_at = $finishedAt WHERE id = $taskId`,
      ).run({
        ...finish,
        passedFirstAttempt: finish.passedFirstAttempt === null ? null : Number(finish.passedFirstAttempt),
        finishedAt: now(),
        taskId,
      });
    },
    recordAttempt(taskId: number, attempt: Attempt): void {
      db.query(
        `INSERT INTO attempts (task_id, n, tier, prompt, reply, diff, outcome, errors, verification_output, duration_ms)
         VALUES ($taskId, $n, $tier, $prompt, $reply, $diff, $outcome, $errors, $verificationOutput, $durationMs)`,
      ).run({ ...attempt, taskId, prompt: JSON.stringify(attempt.prompt), errors: JSON.stringify(attempt.errors) });
    },
    recordModelCall(taskId: number, call: ModelCall): void {
      db.query(
        `INSERT INTO model_calls (task_id, attempt, role, alias, tokens_in, tokens_out, tokens_cached, latency_ms, cost_usd, cost_source, retries)
         VALUES ($taskId, $attempt, $role, $alias, $tokensIn, $tokensOut, $tokensCached, $latencyMs, $costUsd, $costSource, $retries)`,
      ).run({ ...call, taskId });
    },
    findSpec,
    /** Keeps the first spec saved under a key; returns the stored one, so racing writers end up using the same text. */
    saveSpec(spec: SpecToSave): Spec {
      return saveSpecOnce.immediate(spec);
    },
    recordCheckpoint(taskId: number, checkpoint: CheckpointRecord): void {
      db.query(
        `INSERT INTO checkpoints (task_id, n, after_attempt, from_tier, to_tier, stage, sections, text)
         VALUES ($taskId, $n, $afterAttempt, $fromTier, $toTier, $stage, $sections, $text)`,
      ).run({ ...checkpoint, taskId, sections: JSON.stringify(checkpoint.sections) });
    },
    /** Newest first. `solved` counts tasks whose change passed verification (complete, or uncommitted). */
    listRuns(limit = 20): RunSummary[] {
      return db
        .query<RunSummary, [number]>(
          `SELECT r.id, r.kind, r.started_at AS startedAt, r.finished_at AS finishedAt, r.status,
             (SELECT count(*) FROM tasks t WHERE t.run_id = r.id) AS tasks,
             (SELECT count(*) FROM tasks t WHERE t.run_id = r.id AND t.status IN ('complete', 'uncommitted')) AS solved,
             (SELECT total(m.cost_usd) FROM model_calls m JOIN tasks t ON t.id = m.task_id WHERE t.run_id = r.id) AS costUsd
           FROM runs r ORDER BY r.started_at DESC, r.id DESC LIMIT ?`,
        )
        .all(limit);
    },
    runDetail(runId: string): RunDetail | null {
      type RunRow = Omit<RunDetail["run"], "args"> & { args: string };
      const run = db
        .query<RunRow, [string]>(
          "SELECT id, kind, started_at AS startedAt, finished_at AS finishedAt, status, args FROM runs WHERE id = ?",
        )
        .get(runId);
      if (!run) return null;
      type TaskRow = Omit<
        TaskDetail,
        "passedFirstAttempt" | "tokensIn" | "tokensOut" | "costUsd" | "byRole" | "checkpoints"
      > & { passed: number | null };
      const rows = db
        .query<TaskRow, [string]>(
          `SELECT id, task_key AS taskKey, kind, status, attempts, final_tier AS finalTier, passed_first_attempt AS passed, wall_ms AS wallMs
           FROM tasks WHERE run_id = ? ORDER BY id`,
        )
        .all(runId);
      const usage = usageByTask(runId);
      const checkpoints = checkpointsByTask(runId);
      const tasks = rows.map(({ passed, ...row }): TaskDetail => {
        const byRole = usage.get(row.id) ?? {};
        const roles = Object.values(byRole);
        return {
          ...row,
          passedFirstAttempt: passed === null ? null : passed === 1,
          tokensIn: roles.reduce((sum, role) => sum + role.tokensIn, 0),
          tokensOut: roles.reduce((sum, role) => sum + role.tokensOut, 0),
          costUsd: roles.reduce((sum, role) => sum + role.costUsd, 0),
          byRole,
          checkpoints: checkpoints.get(row.id) ?? [],
        };
      });
      return { run: { ...run, args: parseJson(Args, run.args, "run args") }, tasks };
    },
    close: (): void => db.close(),
    [Symbol.dispose]: (): void => db.close(),
  };
}

function randomSuffix(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(2))).toString("hex");
}
