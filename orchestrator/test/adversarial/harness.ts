// The harness for the hostile-reply tests: workspaces with a host outside them, a timed run of the real CLI,
// and readers of what reached the store and the next prompt.
import { Database } from "bun:sqlite";
import { expect } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { networkInterfaces } from "node:os";
import path from "node:path";
import { startFakeModel, type FakeModel, type ScriptStep } from "../fakeModel.ts";
import {
  CLI,
  diffReply,
  initRepo,
  noneSurvive,
  ORCHESTRATOR_DIR,
  cleanup,
  tempDir,
  TEST_DB,
  type CliResult,
  type Event,
} from "../helpers.ts";

const trackedDirs: string[] = [];
/** This file's fake model and temp dirs; each test file releases them after every test (releaseResources). */
export const resources = {
  fake: undefined as FakeModel | undefined,
  track(dir: string): string {
    trackedDirs.push(dir);
    return dir;
  },
};
export async function releaseResources(): Promise<void> {
  await resources.fake?.stop();
  resources.fake = undefined;
  cleanup(...trackedDirs.splice(0));
}

/**
 * A hang guard, not a speed verdict: a CLI run still going after this long is killed and the test fails as hung.
 * Generous, so a loaded machine never trips it; a responsive run takes a few seconds.
 */
export const MAX_WALL_MS = 120_000;
/** Long enough for a correct check on a loaded machine; the attacks that must time out pay it once each. */
export const VERIFY_TIMEOUT_MS = 8_000;

// ---------------------------------------------------------------------------------------------------------------
// The workspace task: calc.py (owned) is imported by check.py, the verify command. Hostile code goes in calc.py,
// where it runs at import, inside verification.

export const CALC = "calc.py";
export const CALC_BEFORE = 'def add(a, b):\n    raise NotImplementedError("add")\n';
export const CALC_RIGHT = "def add(a, b):\n    return a + b\n";
export const CHECK =
  'from calc import add\n\nassert add(2, 3) == 5, f"add(2, 3) returned {add(2, 3)!r}"\nprint("check ok")\n';
export const DESCRIPTION = "Make add() in calc.py return the sum of its arguments.";
export const WORKSPACE_TASK = JSON.stringify({
  description: DESCRIPTION,
  filesOwned: [CALC],
  verify: ["python3 check.py"],
});

/** A wrong add, so the hostile attempt fails its check even when the attack itself ends quietly. */
export const WRONG_ADD = "\n\ndef add(a, b):\n    return a - b\n";

/** A python string literal (ASCII paths and markers only). */
export const py = (value: string | number) => JSON.stringify(String(value));

/** Digits only: a marker that also works as a `sleep` duration (sleep 61.<marker>). */
export function newMarker(): string {
  return `${process.pid}${String(Math.floor(Math.random() * 1e6)).padStart(6, "0")}`;
}

export type Layout = { root: string; ws: string; outside: string; db: string };

/** root/ws is the workspace (a git repo); root/outside is a host directory beside it; root/runs.db the store. */
export function workspaceLayout(extra: (layout: Layout) => void = () => undefined): Layout {
  const root = resources.track(tempDir("smol-adv-"));
  const layout = {
    root,
    ws: path.join(root, "ws"),
    outside: path.join(root, "outside"),
    db: path.join(root, "runs.db"),
  };
  mkdirSync(layout.ws);
  mkdirSync(layout.outside);
  writeFileSync(path.join(layout.ws, CALC), CALC_BEFORE);
  writeFileSync(path.join(layout.ws, "check.py"), CHECK);
  extra(layout);
  initRepo(layout.ws);
  return layout;
}

/** `ws`: the workspace path, which every sandbox of the run carries on its command line (bwrap --bind ws ws). */
export type Run = { result: CliResult; wallMs: number; fake: FakeModel; hung: boolean; ws: string };

/**
 * runCli from helpers.ts, plus a hard kill: an orchestrator that hangs fails the test (hung: true) instead of
 * hanging the test file, and is not left running.
 */
export async function runCliTimed(
  args: string[],
  stdin: string,
  fake: FakeModel,
  env: Record<string, string> = {},
  killAfterMs = MAX_WALL_MS,
): Promise<Omit<Run, "ws">> {
  const started = performance.now();
  const child = Bun.spawn(["bun", "run", CLI, "--no-log-file", ...args], {
    cwd: ORCHESTRATOR_DIR,
    env: { ...process.env, SMOL_CODER_DB: TEST_DB, LITELLM_URL: fake.url, ...env },
    stdin: new TextEncoder().encode(stdin),
    stdout: "pipe",
    stderr: "pipe",
  });
  let hung = false;
  const timer = setTimeout(() => {
    hung = true;
    child.kill("SIGKILL");
  }, killAfterMs);
  const [stdout, stderr, exitCode] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  clearTimeout(timer);
  const events = stdout
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Event);
  return { result: { exitCode, stdout, stderr, events }, wallMs: performance.now() - started, fake, hung };
}

/** Runs the workspace task: the hostile replies at fast (one attempt each), then a correct deep-coder. */
export async function runWorkspace(
  layout: Layout,
  hostile: ScriptStep[] | ((fake: FakeModel) => ScriptStep[]),
  options: { flags?: string[]; env?: Record<string, string>; task?: string; deep?: string; killAfterMs?: number } = {},
): Promise<Run> {
  const fake = (resources.fake = startFakeModel({
    replies: { "deep-coder": [options.deep ?? diffReply(CALC, CALC_BEFORE, CALC_RIGHT)] },
  }));
  const steps = typeof hostile === "function" ? hostile(fake) : hostile;
  fake.script("fast-coder", ...steps);
  const args = [
    "--workspace",
    layout.ws,
    "--db",
    layout.db,
    "--escalate-after",
    String(steps.length),
    "--max-attempts",
    String(steps.length + 1),
    "--verify-timeout-ms",
    String(VERIFY_TIMEOUT_MS),
    ...(options.flags ?? []),
  ];
  return {
    ...(await runCliTimed(args, options.task ?? WORKSPACE_TASK, fake, options.env, options.killAfterMs)),
    ws: layout.ws,
  };
}

/** One hostile calc.py: the attack runs at import, then add() is wrong. */
export const hostileCalc = (attack: string) => diffReply(CALC, CALC_BEFORE, `${attack.trim()}\n${WRONG_ADD}`);

/**
 * (a), (c) and the responsiveness check: exit 0, complete at deep after `failed` failed fast attempts, bounded wall
 * time, and no process left whose command line names the workspace (a sandbox, or anything it started).
 */
export async function expectCompletedAtDeep(
  run: Run,
  failed: number,
  failure: "verification_failed" | "patch_rejected" = "verification_failed",
): Promise<void> {
  const { result } = run;
  const context = {
    hung: run.hung,
    wallMs: Math.round(run.wallMs),
    exitCode: result.exitCode,
    stderr: result.stderr.slice(-2000),
    last: result.events.at(-1),
  };
  expect(run.hung, JSON.stringify(context)).toBe(false);
  expect(context.exitCode, JSON.stringify(context)).toBe(0);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  expect(result.events.at(-1)).toMatchObject({
    event: "task_completed",
    finalTier: "deep",
    totalAttempts: failed + 1,
    passedFirstAttempt: false,
  });
  expect(result.events.filter((event) => event.event === failure)).toHaveLength(failed);
  expect(result.events.find((event) => event.event === "task_escalated")).toMatchObject({
    fromTier: "fast",
    toTier: "deep",
  });
  expect(run.fake.requestsFor("deep-coder")).toHaveLength(1);
  expect(run.ws).not.toBe("");
  expect(await noneSurvive(run.ws)).toBe(true);
}

/** The first verification failure event. */
export const firstFailure = (result: CliResult): Event =>
  result.events.find((event) => event.event === "verification_failed")!;

export type StoredAttempt = { n: number; tier: string; outcome: string; errors: string; output: string | null };

/** Everything the run store holds, as text, and its attempts. */
export function readStore(db: string): { text: string; attempts: StoredAttempt[] } {
  const database = new Database(db, { readonly: true });
  try {
    const tables = database.query<{ name: string }, []>("SELECT name FROM sqlite_schema WHERE type = 'table'").all();
    const text = tables.map(({ name }) => JSON.stringify(database.query(`SELECT * FROM "${name}"`).all())).join("\n");
    const attempts = database
      .query<StoredAttempt, []>(
        "SELECT n, tier, outcome, errors, verification_output AS output FROM attempts ORDER BY task_id, n",
      )
      .all();
    return { text, attempts };
  } finally {
    database.close();
  }
}

/** The hostile attempt's recorded verification output: proof the attack ran, and what it printed. */
export function hostileOutput(db: string, n = 1): string {
  const attempt = readStore(db).attempts.find((a) => a.n === n);
  expect(attempt?.tier).toBe("fast");
  return attempt?.output ?? "";
}

/** (d) No secret in any prompt the fake server received, in the run store, or in the CLI's events. */
export function expectNowhere(run: Run, db: string, secrets: string[]): void {
  const places = {
    "model requests": JSON.stringify(run.fake.requests.map((request) => request.body)),
    "deep-coder prompt": JSON.stringify(run.fake.requestsFor("deep-coder").map((request) => request.body.messages)),
    "run store": readStore(db).text,
    "CLI output": run.result.stdout + run.result.stderr,
  };
  for (const secret of secrets) {
    for (const [where, text] of Object.entries(places))
      expect({ where, leaked: text.includes(secret) }).toEqual({ where, leaked: false });
  }
}

export function hostIPv4Addresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((info) => info !== undefined && info.family === "IPv4" && !info.internal)
    .map((info) => info!.address);
}

// ---------------------------------------------------------------------------------------------------------------
