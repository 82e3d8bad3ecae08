// The queue in the run store's SQLite file: every state change is one transaction, so a daemon killed at any
// point leaves each task either waiting, running for an owner that is gone (found by `orphans`), or finished.
import { randomUUID } from "node:crypto";
import type { Database } from "bun:sqlite";
import { connect } from "../store/schema.ts";
import {
  OutcomeRecord,
  QueueEntry,
  SavedSnapshot,
  type Finish,
  type Liveness,
  type Owner,
  type QueueState,
  type Submission,
  type TaskQueue,
} from "./queue.ts";
import { QueueFull } from "../errors.ts";

type Row = {
  id: string;
  seq: number;
  priority: number;
  state: string;
  workspace: string;
  task: string;
  commit_change: number;
  starts: number;
  status: string | null;
  exit_code: number | null;
  summary: string | null;
  run_id: string | null;
  outcome: string | null;
  submitted_at: string;
  started_at: string | null;
  finished_at: string | null;
  owner_pid: number | null;
  owner_boot_id: string | null;
};
const ORDER = "ORDER BY priority DESC, seq";

function entry(row: Row): QueueEntry {
  return QueueEntry.parse({
    id: row.id,
    seq: row.seq,
    priority: row.priority,
    state: row.state,
    workspace: row.workspace,
    task: JSON.parse(row.task),
    commit: row.commit_change === 1,
    starts: row.starts,
    status: row.status,
    exitCode: row.exit_code,
    summary: row.summary,
    runId: row.run_id,
    outcome: row.outcome === null ? null : JSON.parse(row.outcome),
    submittedAt: row.submitted_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  });
}

function readable(row: Row): QueueEntry | null {
  try {
    return entry(row);
  } catch {
    return null;
  }
}

export type SqliteQueueOptions = { maxQueued: number; now?: () => Date; busyTimeoutMs?: number };

export function openSqliteQueue(file: string, options: SqliteQueueOptions): TaskQueue {
  const db: Database = connect(file, options.busyTimeoutMs ?? 10_000);
  const now = () => (options.now?.() ?? new Date()).toISOString();
  const one = (id: string) => db.query<Row, [string]>("SELECT * FROM queue WHERE id = ?").get(id);

  const submit = db.transaction((submission: Submission): Row => {
    const waiting = db.query<{ n: number }, []>("SELECT count(*) AS n FROM queue WHERE state = 'queued'").get()!.n;
    if (waiting >= options.maxQueued) throw new QueueFull(options.maxQueued);
    const seq = db.query<{ next: number }, []>("SELECT coalesce(max(seq), 0) + 1 AS next FROM queue").get()!.next;
    const id = `t-${randomUUID().slice(0, 8)}`;
    db.query(
      `INSERT INTO queue (id, seq, priority, workspace, task, commit_change, submitted_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      id,
      seq,
      submission.priority,
      submission.workspace,
      JSON.stringify(submission.task),
      submission.commit ? 1 : 0,
      now(),
    );
    return one(id)!;
  });

  const claim = db.transaction((owner: Owner, accept: (entry: QueueEntry) => boolean): Row | null => {
    for (const row of db.query<Row, []>(`SELECT * FROM queue WHERE state = 'queued' ${ORDER}`).all()) {
      const parsed = readable(row);
      if (!parsed) {
        // Written by another version of smol-coder, or damaged: set aside with its reason, never a blocked queue.
        db.query("UPDATE queue SET state = 'cancelled', exit_code = 2, summary = ?, finished_at = ? WHERE id = ?").run(
          "smol-coder: this queued task cannot be read by this version of smol-coder; submit it again",
          now(),
          row.id,
        );
        continue;
      }
      if (!accept(parsed)) continue;
      db.query(
        `UPDATE queue SET state = 'running', owner = ?, owner_pid = ?, owner_boot_id = ?, starts = starts + 1, started_at = ? WHERE id = ? AND state = 'queued'`,
      ).run(owner.id, owner.pid, owner.bootId, now(), row.id);
      return one(row.id);
    }
    return null;
  });

  const appendEvent = db.transaction((id: string, line: string) => {
    const n = db
      .query<{ next: number }, [string]>("SELECT coalesce(max(n), 0) + 1 AS next FROM queue_events WHERE task_id = ?")
      .get(id)!.next;
    db.query("INSERT INTO queue_events (task_id, n, line) VALUES (?, ?, ?)").run(id, n, line);
  });

  return {
    submit: async (submission) => entry(submit.immediate(submission)),
    claim: async (owner, accept) => {
      const row = claim.immediate(owner, accept);
      return row ? entry(row) : null;
    },
    async saveSnapshot(id, snapshot) {
      db.query("UPDATE queue SET snapshot = ? WHERE id = ?").run(JSON.stringify(SavedSnapshot.parse(snapshot)), id);
    },
    async clearSnapshot(id) {
      db.query("UPDATE queue SET snapshot = NULL WHERE id = ?").run(id);
    },
    async snapshot(id) {
      const text = db
        .query<{ snapshot: string | null }, [string]>("SELECT snapshot FROM queue WHERE id = ?")
        .get(id)?.snapshot;
      return text ? SavedSnapshot.parse(JSON.parse(text)) : null;
    },
    async finish(id, finish: Finish, state = "done") {
      db.query(
        `UPDATE queue SET state = ?, status = ?, exit_code = ?, summary = ?, run_id = ?, outcome = ?, finished_at = ?, snapshot = NULL WHERE id = ? AND state IN ('queued', 'running')`,
      ).run(
        state,
        finish.status,
        finish.exitCode,
        finish.summary,
        finish.runId,
        finish.outcome ? JSON.stringify(OutcomeRecord.parse(finish.outcome)) : null,
        now(),
        id,
      );
    },
    async requeue(id) {
      db.query(
        "UPDATE queue SET state = 'queued', owner = NULL, owner_pid = NULL, owner_boot_id = NULL, snapshot = NULL WHERE id = ? AND state = 'running'",
      ).run(id);
    },
    async cancelWaiting(id) {
      const changed = db
        .query(
          "UPDATE queue SET state = 'cancelled', exit_code = 130, summary = 'cancelled before it started', finished_at = ? WHERE id = ? AND state = 'queued'",
        )
        .run(now(), id);
      return changed.changes === 1;
    },
    get: async (id) => {
      const row = one(id);
      return row ? entry(row) : null;
    },
    list: async (limit) =>
      db.query<Row, [number]>("SELECT * FROM queue ORDER BY seq DESC LIMIT ?").all(limit).map(entry),
    async position(id) {
      const row = one(id);
      if (!row || row.state !== "queued") return null;
      return db
        .query<{ n: number }, [number, number, number]>(
          "SELECT count(*) AS n FROM queue WHERE state = 'queued' AND (priority > ? OR (priority = ? AND seq < ?))",
        )
        .get(row.priority, row.priority, row.seq)!.n;
    },
    async counts() {
      const counts: Record<QueueState, number> = { queued: 0, running: 0, done: 0, cancelled: 0 };
      for (const { state, n } of db
        .query<{ state: QueueState; n: number }, []>("SELECT state, count(*) AS n FROM queue GROUP BY state")
        .all())
        counts[state] = n;
      return counts;
    },
    appendEvent: async (id, line) => appendEvent.immediate(id, line),
    events: async (id, after) =>
      db
        .query<{ n: number; line: string }, [string, number]>(
          "SELECT n, line FROM queue_events WHERE task_id = ? AND n > ? ORDER BY n",
        )
        .all(id, after),
    async orphans(liveness: Liveness) {
      return db
        .query<Row, []>(`SELECT * FROM queue WHERE state = 'running' ${ORDER}`)
        .all()
        .filter((row) => row.owner_pid === null || !liveness(row.owner_pid, row.owner_boot_id))
        .map(entry);
    },
    close: async () => db.close(),
  };
}
