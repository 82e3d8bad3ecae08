// The run store's file: opening it with the right pragmas, and its schema with versioned migrations.
import { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { StoreInvalid } from "../errors.ts";

// Frozen text: a released migration never changes; a new schema is a new entry that alters the old one.
export const MIGRATIONS: readonly string[] = [
  `
CREATE TABLE runs (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('run', 'bench')),
  started_at TEXT NOT NULL, finished_at TEXT,
  status TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'complete', 'abort', 'unreachable', 'rejected', 'interrupted')),
  args TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(args))
) STRICT;
CREATE INDEX runs_by_start ON runs (started_at);
CREATE TABLE tasks (
  id INTEGER PRIMARY KEY,
  run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  task_key TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('workspace', 'humaneval')),
  status TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'complete', 'abort', 'unreachable', 'rejected', 'interrupted')),
  attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  final_tier TEXT CHECK (final_tier IN ('fast', 'deep', 'reviewer')),
  passed_first_attempt INTEGER CHECK (passed_first_attempt IN (0, 1)),
  started_at TEXT NOT NULL, finished_at TEXT, wall_ms INTEGER
) STRICT;
CREATE INDEX tasks_by_run ON tasks (run_id, id);
CREATE TABLE attempts (
  task_id INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  n INTEGER NOT NULL CHECK (n >= 1),
  tier TEXT NOT NULL CHECK (tier IN ('fast', 'deep', 'reviewer')),
  prompt TEXT NOT NULL CHECK (json_valid(prompt)),
  reply TEXT NOT NULL,
  diff TEXT,
  outcome TEXT NOT NULL CHECK (outcome IN ('passed', 'verification_failed', 'patch_rejected')),
  errors TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(errors)),
  verification_output TEXT,
  duration_ms INTEGER NOT NULL,
  PRIMARY KEY (task_id, n)
) STRICT;
CREATE TABLE model_calls (
  id INTEGER PRIMARY KEY,
  task_id INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  attempt INTEGER,
  role TEXT NOT NULL CHECK (role IN ('fast', 'deep', 'reviewer', 'spec-writer', 'mentor')),
  alias TEXT NOT NULL,
  tokens_in INTEGER NOT NULL, tokens_out INTEGER NOT NULL, latency_ms INTEGER NOT NULL,
  cost_usd REAL,
  cost_source TEXT NOT NULL CHECK (cost_source IN ('header', 'table', 'unpriced')),
  retries INTEGER NOT NULL DEFAULT 0,
  CHECK ((cost_source = 'unpriced') = (cost_usd IS NULL))
) STRICT;
CREATE INDEX model_calls_by_task ON model_calls (task_id, role);
CREATE TABLE specs (
  id INTEGER PRIMARY KEY,
  key TEXT NOT NULL UNIQUE,
  model TEXT NOT NULL, prompt_version TEXT NOT NULL, text TEXT NOT NULL,
  created_at TEXT NOT NULL,
  task_id INTEGER REFERENCES tasks (id) ON DELETE SET NULL
) STRICT;
CREATE TABLE checkpoints (
  task_id INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  n INTEGER NOT NULL CHECK (n >= 1),
  after_attempt INTEGER NOT NULL,
  from_tier TEXT NOT NULL CHECK (from_tier IN ('fast', 'deep', 'reviewer')),
  to_tier TEXT NOT NULL CHECK (to_tier IN ('fast', 'deep', 'reviewer')),
  stage TEXT NOT NULL CHECK (stage IN ('strategy', 'test-criteria', 'debugging')),
  sections TEXT NOT NULL CHECK (json_valid(sections)),
  text TEXT NOT NULL,
  PRIMARY KEY (task_id, n)
) STRICT;
`,
  // 2: an attempt whose prompt did not fit the model's context (refused, or cut silently by Ollama).
  `
CREATE TABLE attempts_v2 (
  task_id INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  n INTEGER NOT NULL CHECK (n >= 1),
  tier TEXT NOT NULL CHECK (tier IN ('fast', 'deep', 'reviewer')),
  prompt TEXT NOT NULL CHECK (json_valid(prompt)),
  reply TEXT NOT NULL,
  diff TEXT,
  outcome TEXT NOT NULL CHECK (outcome IN ('passed', 'verification_failed', 'patch_rejected', 'prompt_too_long')),
  errors TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(errors)),
  verification_output TEXT,
  duration_ms INTEGER NOT NULL,
  PRIMARY KEY (task_id, n)
) STRICT;
INSERT INTO attempts_v2 SELECT * FROM attempts;
DROP TABLE attempts;
ALTER TABLE attempts_v2 RENAME TO attempts;
`,
  `
ALTER TABLE model_calls ADD COLUMN tokens_cached INTEGER NOT NULL DEFAULT 0;
`,
  // 4: a run or task that ended verified but uncommitted (git refused the commit). SQLite cannot alter a CHECK, so
  // both tables are rebuilt; migrations run with foreign keys off, so dropping them cascades to nothing.
  `
CREATE TABLE runs_v4 (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('run', 'bench')),
  started_at TEXT NOT NULL, finished_at TEXT,
  status TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'complete', 'uncommitted', 'abort', 'unreachable', 'rejected', 'interrupted')),
  args TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(args))
) STRICT;
INSERT INTO runs_v4 SELECT * FROM runs;
CREATE TABLE tasks_v4 (
  id INTEGER PRIMARY KEY,
  run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  task_key TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('workspace', 'humaneval')),
  status TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'complete', 'uncommitted', 'abort', 'unreachable', 'rejected', 'interrupted')),
  attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  final_tier TEXT CHECK (final_tier IN ('fast', 'deep', 'reviewer')),
  passed_first_attempt INTEGER CHECK (passed_first_attempt IN (0, 1)),
  started_at TEXT NOT NULL, finished_at TEXT, wall_ms INTEGER
) STRICT;
INSERT INTO tasks_v4 SELECT * FROM tasks;
DROP TABLE tasks;
DROP TABLE runs;
ALTER TABLE runs_v4 RENAME TO runs;
ALTER TABLE tasks_v4 RENAME TO tasks;
CREATE INDEX runs_by_start ON runs (started_at);
CREATE INDEX tasks_by_run ON tasks (run_id, id);
`,
  // 5: a run or task that crashed (an infrastructure error or a bug ended it), and the pid and boot id of the process
  // that runs a run, so one left 'running' by a killed process can be closed. Rebuilt as in 4.
  `
CREATE TABLE runs_v5 (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('run', 'bench')),
  started_at TEXT NOT NULL, finished_at TEXT,
  status TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'complete', 'uncommitted', 'abort', 'unreachable', 'rejected', 'interrupted', 'crashed')),
  args TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(args)),
  pid INTEGER, boot_id TEXT
) STRICT;
INSERT INTO runs_v5 (id, kind, started_at, finished_at, status, args) SELECT id, kind, started_at, finished_at, status, args FROM runs;
CREATE TABLE tasks_v5 (
  id INTEGER PRIMARY KEY,
  run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  task_key TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('workspace', 'humaneval')),
  status TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'complete', 'uncommitted', 'abort', 'unreachable', 'rejected', 'interrupted', 'crashed')),
  attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  final_tier TEXT CHECK (final_tier IN ('fast', 'deep', 'reviewer')),
  passed_first_attempt INTEGER CHECK (passed_first_attempt IN (0, 1)),
  started_at TEXT NOT NULL, finished_at TEXT, wall_ms INTEGER
) STRICT;
INSERT INTO tasks_v5 SELECT * FROM tasks;
DROP TABLE tasks;
DROP TABLE runs;
ALTER TABLE runs_v5 RENAME TO runs;
ALTER TABLE tasks_v5 RENAME TO tasks;
CREATE INDEX runs_by_start ON runs (started_at);
CREATE INDEX tasks_by_run ON tasks (run_id, id);
`,
  // 6: the daemon's queue (queue/sqlite.ts): every task submitted to `smol-coder serve`, its state, the owned files as
  // they were before its change started landing (so a daemon killed mid-landing can put them back), and its events,
  // line by line. And the 'conflict' status (a verified change not landed over an owned file edited meanwhile),
  // with runs and tasks rebuilt as in 4.
  `
CREATE TABLE runs_v6 (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('run', 'bench')),
  started_at TEXT NOT NULL, finished_at TEXT,
  status TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'complete', 'uncommitted', 'conflict', 'abort', 'unreachable', 'rejected', 'interrupted', 'crashed')),
  args TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(args)),
  pid INTEGER, boot_id TEXT
) STRICT;
INSERT INTO runs_v6 SELECT * FROM runs;
CREATE TABLE tasks_v6 (
  id INTEGER PRIMARY KEY,
  run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  task_key TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('workspace', 'humaneval')),
  status TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'complete', 'uncommitted', 'conflict', 'abort', 'unreachable', 'rejected', 'interrupted', 'crashed')),
  attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  final_tier TEXT CHECK (final_tier IN ('fast', 'deep', 'reviewer')),
  passed_first_attempt INTEGER CHECK (passed_first_attempt IN (0, 1)),
  started_at TEXT NOT NULL, finished_at TEXT, wall_ms INTEGER
) STRICT;
INSERT INTO tasks_v6 SELECT * FROM tasks;
DROP TABLE tasks;
DROP TABLE runs;
ALTER TABLE runs_v6 RENAME TO runs;
ALTER TABLE tasks_v6 RENAME TO tasks;
CREATE INDEX runs_by_start ON runs (started_at);
CREATE INDEX tasks_by_run ON tasks (run_id, id);
CREATE TABLE queue (
  id TEXT PRIMARY KEY,
  seq INTEGER NOT NULL UNIQUE,
  priority INTEGER NOT NULL DEFAULT 0,
  state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'done', 'cancelled')),
  workspace TEXT NOT NULL,
  task TEXT NOT NULL CHECK (json_valid(task)),
  commit_change INTEGER NOT NULL DEFAULT 0 CHECK (commit_change IN (0, 1)),
  owner TEXT, owner_pid INTEGER, owner_boot_id TEXT,
  starts INTEGER NOT NULL DEFAULT 0,
  snapshot TEXT CHECK (snapshot IS NULL OR json_valid(snapshot)),
  status TEXT, exit_code INTEGER, summary TEXT, run_id TEXT,
  outcome TEXT CHECK (outcome IS NULL OR json_valid(outcome)),
  submitted_at TEXT NOT NULL, started_at TEXT, finished_at TEXT
) STRICT;
CREATE INDEX queue_next ON queue (state, priority DESC, seq);
CREATE TABLE queue_events (
  task_id TEXT NOT NULL REFERENCES queue (id) ON DELETE CASCADE,
  n INTEGER NOT NULL,
  line TEXT NOT NULL,
  PRIMARY KEY (task_id, n)
) STRICT;
`,
];
export const SCHEMA_VERSION = MIGRATIONS.length;

/** Opens the file, sets the pragmas and migrates; a file that is not our SQLite store becomes StoreInvalid. */
export function connect(file: string, busyTimeoutMs: number): Database {
  if (file !== ":memory:") mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  let db: Database | undefined;
  try {
    db = new Database(file, { create: true, strict: true });
    // busy_timeout first: switching to WAL and migrating both need locks another process may hold.
    db.run(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
    db.run("PRAGMA journal_mode = WAL");
    // In WAL mode NORMAL cannot corrupt the file; it only risks the last commits on power loss.
    db.run("PRAGMA synchronous = NORMAL");
    // Foreign keys go on after migrating, so that a migration rebuilding a parent table cascades nothing when it
    // drops the old one (the pragma cannot change inside the migration's transaction).
    migrate(db, file);
    db.run("PRAGMA foreign_keys = ON");
    return db;
  } catch (error) {
    db?.close();
    const code = (error as { code?: string }).code ?? "";
    if (["SQLITE_NOTADB", "SQLITE_CORRUPT", "SQLITE_CANTOPEN"].includes(code)) {
      throw new StoreInvalid(file, `is not a usable SQLite database (${(error as Error).message})`);
    }
    throw error;
  }
}

function schemaVersion(db: Database): number {
  return db.query<{ user_version: number }, []>("PRAGMA user_version").get()!.user_version;
}

function migrate(db: Database, file: string): void {
  if (schemaVersion(db) === SCHEMA_VERSION) return;
  db.transaction(() => {
    // Re-read under the write lock: another process may have migrated since the check above.
    const version = schemaVersion(db);
    if (version > SCHEMA_VERSION) {
      throw new StoreInvalid(
        file,
        `has schema version ${version}, newer than this smol-coder's ${SCHEMA_VERSION}`,
        "upgrade smol-coder, or pass --db with another path",
      );
    }
    const tables = db.query<{ n: number }, []>("SELECT count(*) AS n FROM sqlite_schema").get()!.n;
    if (version === 0 && tables > 0) throw new StoreInvalid(file, "is a SQLite database of another program");
    for (let next = version; next < SCHEMA_VERSION; next++) {
      db.run(MIGRATIONS[next]!);
      db.run(`PRAGMA user_version = ${next + 1}`);
    }
    const broken = db.query<{ table: string }, []>("PRAGMA foreign_key_check").all();
    if (broken.length > 0)
      throw new StoreInvalid(file, `has rows whose parent is missing in ${broken[0]!.table} after migrating`);
  }).immediate();
}
