// The examples in tasks/: the task files parse, the example workspace is a real task (its test fails until the
// function is written), and batch.sh and run-example.sh drive the real CLI against the fake model server.
import { describe, expect, test } from "bun:test";
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { loadDataset, type Problem } from "../src/humaneval/dataset.ts";
import { parseTask, type Task } from "../src/task/task.ts";
import { startFakeModel, type RecordedRequest, type ScriptStep } from "./fakeModel.ts";
import {
  NO_DAEMON,
  diffReply,
  ORCHESTRATOR_DIR,
  perTestResources,
  SHARED_DATASET,
  TEST_DB,
  tempDir,
  treeState,
} from "./helpers.ts";

const REPO_ROOT = path.join(ORCHESTRATOR_DIR, "..");
const TASKS_DIR = path.join(REPO_ROOT, "tasks");
const EXAMPLE_WORKSPACE = path.join(TASKS_DIR, "example-workspace");
const PYTEST = existsSync(path.join(REPO_ROOT, ".venv", "bin", "pytest"))
  ? path.join(REPO_ROOT, ".venv", "bin", "pytest")
  : "pytest";

const SLUGS_BEFORE = readFileSync(path.join(EXAMPLE_WORKSPACE, "slugs.py"), "utf8");
const SLUGS_BODY = [
  '    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()',
  '    words = re.findall(r"[a-z0-9]+", ascii_title.lower())',
  '    slug = ""',
  "    for word in words:",
  '        candidate = f"{slug}-{word}" if slug else word',
  "        if len(candidate) > max_length:",
  "            break",
  "        slug = candidate",
  '    return slug or "-".join(words)[:max_length]',
].join("\n");
/** A slugify() that meets the docstring: the reply the fake model gives when the task should pass. */
const SLUGS_RIGHT = SLUGS_BEFORE.replace(
  '"""URL slugs for blog post titles."""\n',
  '"""URL slugs for blog post titles."""\n\nimport re\nimport unicodedata\n',
).replace("    raise NotImplementedError", SLUGS_BODY);
const SLUGS_WRONG = SLUGS_BEFORE.replace("    raise NotImplementedError", "    return title.lower()");

const EXAMPLE_ROMAN = path.join(TASKS_DIR, "example-roman");
const ROMAN_BEFORE = readFileSync(path.join(EXAMPLE_ROMAN, "roman.py"), "utf8");
/** A from_roman() that meets the tests: the reply the fake model gives when the roman example should pass. */
const ROMAN_RIGHT = `${ROMAN_BEFORE}

def from_roman(text):
    """The number a Roman numeral stands for."""
    number = 0
    for value, letters in NUMERALS:
        while text.startswith(letters):
            number += value
            text = text[len(letters):]
    return number
`;

const exampleFiles = readdirSync(TASKS_DIR).filter((name) => name.endsWith(".json"));
const PROBLEMS = await loadDataset(SHARED_DATASET);
const resources = perTestResources();
const scratch = () => resources.track(tempDir("smol-tasks-"));

/** A temp copy of the example workspace; `git` makes it a repository as run-example.sh does. */
function exampleCopy(): string {
  const dir = scratch();
  cpSync(EXAMPLE_WORKSPACE, dir, { recursive: true });
  return dir;
}

function pytest(dir: string): { exitCode: number; output: string } {
  const result = Bun.spawnSync([PYTEST, "-q", "-p", "no:cacheprovider"], {
    cwd: dir,
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" },
    stdout: "pipe",
    stderr: "pipe",
  });
  return { exitCode: result.exitCode, output: result.stdout.toString() + result.stderr.toString() };
}

function startScript(script: string, args: string[], cwd: string) {
  return Bun.spawn(["bash", path.join(TASKS_DIR, script), ...args], {
    cwd,
    env: {
      ...process.env,
      LITELLM_URL: resources.fake!.url,
      LITELLM_API_KEY: "sk-test-tasks",
      SMOL_CODER_DB: TEST_DB,
      SMOL_CODER_SOCKET: NO_DAEMON,
    },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
}

async function finished(
  child: ReturnType<typeof startScript>,
): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const [stdout, stderr, exitCode] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  return { exitCode, stdout, stderr };
}

const runScript = (script: string, args: string[], cwd: string) => finished(startScript(script, args, cwd));

const promptOf = (request: RecordedRequest) => request.body.messages.map((message) => message.content).join("\n");

/** The fast tier's reply by which file the prompt shows: slugify as given, a HumanEval problem solved. */
function replyByPrompt(slugsAfter: string, problems: Problem[]): (request: RecordedRequest) => ScriptStep {
  return (request) => {
    const prompt = promptOf(request);
    if (prompt.includes("## slugs.py")) return diffReply("slugs.py", SLUGS_BEFORE, slugsAfter);
    const problem = problems.find((candidate) => prompt.includes(candidate.prompt.trim()))!;
    return diffReply("solution.py", problem.prompt, problem.prompt + problem.canonicalSolution);
  };
}

const summaryLines = (stdout: string) => stdout.split("\n").filter((line) => /^(PASS|FAIL) /.test(line));
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
/** batch.sh's line for one task: verdict, exit code, a run id, the task file as given. */
const taskLine = (verdict: "PASS" | "FAIL", exitCode: number, task: string) =>
  new RegExp(`^${verdict}  exit=${exitCode}  run=r-\\S+  ${escape(task)}$`);
/** When a task's run started and ended, from its events (pino's time, in ms). */
function runSpan(eventsFile: string): { start: number; end: number } {
  const times = readFileSync(eventsFile, "utf8")
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => (JSON.parse(line) as { time: number }).time);
  return { start: Math.min(...times), end: Math.max(...times) };
}

describe("the task files", () => {
  test.each(exampleFiles)("%s parses with the task schema", (name) => {
    const task: Task = parseTask(readFileSync(path.join(TASKS_DIR, name), "utf8"), name);
    // parseTask throws on anything invalid; the kind must also be the one the file's name promises.
    expect(task.kind ?? "workspace").toBe(name.startsWith("humaneval") ? "humaneval" : "workspace");
  });

  test("the workspace example owns files that exist in the example workspace, and verifies with pytest", () => {
    const task = parseTask(
      readFileSync(path.join(TASKS_DIR, "workspace-example.json"), "utf8"),
      "workspace-example.json",
    );
    if (task.kind === "humaneval") throw new Error("workspace-example.json should be a workspace task");
    for (const file of task.filesOwned) expect(existsSync(path.join(EXAMPLE_WORKSPACE, file))).toBe(true);
    expect(task.verify?.some((command) => /\bpytest\b/.test(command))).toBe(true);
  });
});

describe("the example workspace", () => {
  test("its test fails until slugify() is written, and passes with a right one: a real task", () => {
    const dir = exampleCopy();
    const before = pytest(dir);
    expect(before.exitCode).toBe(1);
    expect(before.output).toContain("NotImplementedError");
    expect(before.output).not.toMatch(/\d+ passed/);
    writeFileSync(path.join(dir, "slugs.py"), SLUGS_RIGHT);
    const after = pytest(dir);
    expect(after.output).toMatch(/\b7 passed\b/);
    expect(after.exitCode).toBe(0);
  }, 30_000);
});

describe("run-example.sh", () => {
  test("runs the example on a git copy and leaves tasks/example-workspace as it was", async () => {
    const stateBefore = treeState(EXAMPLE_WORKSPACE);
    resources.fake = startFakeModel({ replies: { "fast-coder": [diffReply("slugs.py", SLUGS_BEFORE, SLUGS_RIGHT)] } });
    const result = await runScript("run-example.sh", ["--no-log-file"], scratch());
    const workspace = /the workspace stays at (\S+)/.exec(result.stderr)?.[1];
    if (workspace) resources.track(workspace);
    expect(result.stderr).toContain("smol-coder exited 0");
    expect(result.exitCode).toBe(0);
    expect(readFileSync(path.join(workspace!, "slugs.py"), "utf8")).toBe(SLUGS_RIGHT);
    expect(existsSync(path.join(workspace!, ".git"))).toBe(true);
    expect(treeState(EXAMPLE_WORKSPACE)).toEqual(stateBefore);
  }, 60_000);

  test("roman: its test fails as shipped; run-example.sh roman runs roman-example.json on a git copy of example-roman", async () => {
    const shipped = scratch();
    cpSync(EXAMPLE_ROMAN, shipped, { recursive: true });
    const before = pytest(shipped);
    expect(before.exitCode).not.toBe(0);
    expect(before.output).toContain("cannot import name 'from_roman'");
    const stateBefore = treeState(EXAMPLE_ROMAN);
    resources.fake = startFakeModel({ replies: { "fast-coder": [diffReply("roman.py", ROMAN_BEFORE, ROMAN_RIGHT)] } });
    const result = await runScript("run-example.sh", ["roman", "--no-log-file"], scratch());
    const workspace = /the workspace stays at (\S+)/.exec(result.stderr)?.[1];
    if (workspace) resources.track(workspace);
    expect(result.exitCode, result.stderr.slice(-500)).toBe(0);
    expect(readFileSync(path.join(workspace!, "roman.py"), "utf8")).toBe(ROMAN_RIGHT);
    expect(pytest(workspace!).exitCode).toBe(0);
    expect(promptOf(resources.fake!.requestsFor("fast-coder")[0]!)).toContain("Add from_roman(text) to roman.py");
    expect(treeState(EXAMPLE_ROMAN)).toEqual(stateBefore);
  }, 60_000);
});

describe("batch.sh", () => {
  const batchArgs = (out: string, workspace: string, ...tasks: string[]) => [
    "--workspace",
    workspace,
    "--out",
    out,
    ...tasks,
    "--",
    "--no-log-file",
    "--dataset",
    SHARED_DATASET,
    "--max-attempts",
    "1",
  ];

  test("runs the two examples one after the other, prints a line per task with its run id, and exits 0", async () => {
    resources.fake = startFakeModel({ fallback: { "fast-coder": replyByPrompt(SLUGS_RIGHT, PROBLEMS) } });
    const out = scratch();
    const tasks = [path.join(TASKS_DIR, "humaneval-example.json"), path.join(TASKS_DIR, "workspace-example.json")];
    const result = await runScript("batch.sh", batchArgs(out, exampleCopy(), ...tasks), scratch());
    expect(result.exitCode).toBe(0);
    const lines = summaryLines(result.stdout);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(taskLine("PASS", 0, tasks[0]!));
    expect(lines[1]).toMatch(taskLine("PASS", 0, tasks[1]!));
    expect(result.stdout).toContain(`batch: 2 tasks, 2 passed, 0 failed; events and stderr in ${out}`);
    expect(readdirSync(out).sort()).toEqual([
      "01-humaneval-example.exit",
      "01-humaneval-example.jsonl",
      "01-humaneval-example.log",
      "02-workspace-example.exit",
      "02-workspace-example.jsonl",
      "02-workspace-example.log",
    ]);
  }, 90_000);

  test("a failed task fails the batch, and the tasks after it still run", async () => {
    resources.fake = startFakeModel({ fallback: { "fast-coder": replyByPrompt(SLUGS_WRONG, PROBLEMS) } });
    const out = scratch();
    const tasks = [path.join(TASKS_DIR, "workspace-example.json"), path.join(TASKS_DIR, "humaneval-example.json")];
    const result = await runScript("batch.sh", batchArgs(out, exampleCopy(), ...tasks), scratch());
    expect(result.exitCode).toBe(1);
    const lines = summaryLines(result.stdout);
    expect(lines[0]).toMatch(taskLine("FAIL", 1, tasks[0]!));
    expect(lines[1]).toMatch(taskLine("PASS", 0, tasks[1]!));
    expect(result.stdout).toContain("batch: 2 tasks, 1 passed, 1 failed");
  }, 90_000);

  test("-j 2 runs HumanEval tasks together", async () => {
    // Slow replies widen each run, so that one cannot end before the other has begun unless they ran in turn.
    resources.fake = startFakeModel({
      fallback: { "fast-coder": replyByPrompt(SLUGS_RIGHT, PROBLEMS) },
      latencyMs: 500,
    });
    const dir = scratch();
    const tasks = [0, 2].map((index) => {
      const file = path.join(dir, `problem-${index}.json`);
      writeFileSync(file, JSON.stringify({ kind: "humaneval", problemId: PROBLEMS[index]!.taskId }));
      return file;
    });
    const out = path.join(dir, "out");
    const result = await runScript(
      "batch.sh",
      ["-j", "2", "--out", out, ...tasks, "--", "--no-log-file", "--dataset", SHARED_DATASET],
      dir,
    );
    expect(result.exitCode).toBe(0);
    const lines = summaryLines(result.stdout);
    expect(lines).toHaveLength(2);
    for (const task of tasks) expect(lines.filter((line) => taskLine("PASS", 0, task).test(line))).toHaveLength(1);
    // Together: each run started before the other ended.
    const [first, second] = [
      runSpan(path.join(out, "01-problem-0.jsonl")),
      runSpan(path.join(out, "02-problem-2.jsonl")),
    ];
    expect(first.start).toBeLessThan(second.end);
    expect(second.start).toBeLessThan(first.end);
  }, 90_000);

  test("SIGTERM stops the running task (its workspace restored), starts no more, and exits 130", async () => {
    resources.fake = startFakeModel({ fallback: { "fast-coder": { hang: true } } });
    const workspace = exampleCopy();
    const git = (...args: string[]) => Bun.spawnSync(["git", ...args], { cwd: workspace }).exitCode;
    expect([
      git("init", "-q"),
      git("add", "-A"),
      git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "example"),
    ]).toEqual([0, 0, 0]);
    const out = scratch();
    const task = path.join(TASKS_DIR, "workspace-example.json");
    const batch = startScript(
      "batch.sh",
      ["--workspace", workspace, "--out", out, task, task, "--", "--no-log-file"],
      scratch(),
    );
    while (resources.fake.requestsFor("fast-coder").length === 0) await Bun.sleep(50);
    batch.kill("SIGTERM");
    const result = await finished(batch);
    expect(result.exitCode).toBe(130);
    expect(summaryLines(result.stdout)).toEqual([expect.stringMatching(taskLine("FAIL", 130, task))]);
    expect(result.stdout).toContain("batch: 2 tasks, 0 passed, 1 failed, 1 not run (interrupted)");
    expect(result.stderr).toBe("");
    expect(readFileSync(path.join(workspace, "slugs.py"), "utf8")).toBe(SLUGS_BEFORE);
    expect(resources.fake.requestsFor("fast-coder")).toHaveLength(1);
  }, 60_000);

  test("refuses to run workspace tasks together, and an unknown option, before running anything", async () => {
    resources.fake = startFakeModel({});
    const cwd = scratch();
    const together = await runScript(
      "batch.sh",
      ["-j", "2", "--out", path.join(cwd, "out"), path.join(TASKS_DIR, "workspace-example.json")],
      cwd,
    );
    expect(together.exitCode).toBe(2);
    expect(together.stderr).toContain("is a workspace task and no daemon answers; run workspace tasks with -j 1");
    const unknown = await runScript("batch.sh", ["--bogus", path.join(TASKS_DIR, "workspace-example.json")], cwd);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain("unknown option --bogus");
    expect(existsSync(path.join(cwd, "out"))).toBe(false);
    expect(resources.fake.requests).toHaveLength(0);
  });
});
