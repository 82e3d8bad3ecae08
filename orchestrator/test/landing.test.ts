// How a run ends when the end is not the task's: git refusing to commit a verified change (exit 5, the change kept),
// and a bug (exit 70, one line naming the log file that holds the stack trace), through the real CLI.
import { Database } from "bun:sqlite";
import { expect, test } from "bun:test";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { startFakeModel } from "./fakeModel.ts";
import { CLI, ORCHESTRATOR_DIR, diffReply, git, perTestResources, runCli, TEST_DB, tempDir } from "./helpers.ts";

const resources = perTestResources();
const TASK = JSON.stringify({
  description: "change it",
  filesOwned: ["value.txt"],
  verify: ["grep -qx changed value.txt"],
});

function valueWorkspace(): string {
  const dir = resources.track(tempDir("smol-land-"));
  writeFileSync(path.join(dir, "value.txt"), "start\n");
  return dir;
}

test("--commit where git knows no identity: exit 5, the verified change stays uncommitted, stderr names git's reason and the fix", async () => {
  resources.fake = startFakeModel({ replies: { "fast-coder": [diffReply("value.txt", "start\n", "changed\n")] } });
  const dir = valueWorkspace();
  git(dir, "init", "-q", "-b", "main");
  git(dir, "add", "-A");
  // The first commit names its author on the command line: the repository itself keeps no identity.
  git(dir, "-c", "user.name=Setup", "-c", "user.email=setup@example.com", "commit", "-q", "-m", "initial");
  // And git may not guess one from the host name (it would on a machine with a full domain name).
  git(dir, "config", "user.useConfigOnly", "true");
  const home = resources.track(tempDir("smol-home-"));
  const env = {
    LITELLM_URL: resources.fake.url,
    HOME: home,
    XDG_CONFIG_HOME: home,
    EMAIL: "",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
  };
  const result = await runCli(["--workspace", dir, "--commit"], { stdin: TASK, env });

  expect(result.exitCode).toBe(5);
  expect(readFileSync(path.join(dir, "value.txt"), "utf8")).toBe("changed\n");
  expect(git(dir, "rev-list", "--count", "HEAD").trim()).toBe("1");
  expect(result.stderr).toContain("not committed: git refused the commit: Author identity unknown");
  expect(result.stderr).toContain(`git -C ${dir} config user.email`);
  expect(result.stderr).toContain(`git -C ${dir} commit -- value.txt`);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  const names = result.events.map((event) => event.event);
  expect(names.slice(-3)).toEqual(["verification_passed", "commit_failed", "task_uncommitted"]);
  expect(result.events.find((event) => event.event === "commit_failed")).toMatchObject({ files: ["value.txt"] });
  expect(result.events.at(-1)).toMatchObject({ event: "task_uncommitted", totalAttempts: 1, passedFirstAttempt: true });
  const runId = /run (\S+?)(;|$)/m.exec(result.stderr)?.[1];
  const db = new Database(TEST_DB, { readonly: true });
  const statuses = db
    .query("SELECT r.status AS run, t.status AS task FROM runs r JOIN tasks t ON t.run_id = r.id WHERE r.id = ?")
    .all(runId!);
  db.close();
  expect(statuses).toEqual([{ run: "uncommitted", task: "uncommitted" }]);
}, 60_000);

// A fault from outside smol-coder's code: a preload that breaks crypto.getRandomValues, which the run store calls
// to name the run. No hook in the product; the error is one no typed error describes, as a bug's would be.
function injectFault(): string {
  const dir = resources.track(tempDir("smol-fault-"));
  const preload = path.join(dir, "fault.ts");
  writeFileSync(
    preload,
    'crypto.getRandomValues = () => { throw new TypeError("injected fault: getRandomValues is broken"); };\n',
  );
  return preload;
}

async function crashedRun(
  logFileFlag: boolean,
): Promise<{ exitCode: number; stdout: string; stderr: string; logDir: string }> {
  const data = resources.track(tempDir("smol-fault-data-"));
  const child = Bun.spawn(
    [
      "bun",
      "--preload",
      injectFault(),
      CLI,
      ...(logFileFlag ? [] : ["--no-log-file"]),
      "--workspace",
      valueWorkspace(),
    ],
    {
      cwd: ORCHESTRATOR_DIR,
      env: {
        ...process.env,
        LITELLM_URL: "http://127.0.0.1:9/v1",
        XDG_DATA_HOME: data,
        SMOL_CODER_DB: path.join(data, "runs.db"),
        SMOL_CODER_SANDBOX_READONLY: path.join(ORCHESTRATOR_DIR, "node_modules"),
      },
      stdin: new TextEncoder().encode(TASK),
      stdout: "pipe",
      stderr: "pipe",
    },
  );
  const [stdout, stderr, exitCode] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  return { exitCode, stdout, stderr, logDir: path.join(data, "smol-coder", "logs") };
}

test.each([
  ["the run's log file", true],
  ["with --no-log-file, a line in the log directory's file", false],
])(
  "an internal error: exit 70, one line on stderr naming the log file, the stack trace in that file (%s)",
  async (_, logFileFlag) => {
    const { exitCode, stderr, logDir } = await crashedRun(logFileFlag);
    expect(exitCode).toBe(70);
    const [logFile] = readdirSync(logDir);
    expect(stderr).toBe(
      `smol-coder: internal error (a bug in smol-coder): injected fault: getRandomValues is broken; the stack trace is in ${path.join(logDir, logFile!)}; please report it with that file\n`,
    );
    const crash = readFileSync(path.join(logDir, logFile!), "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { event: string; err?: { stack: string } })
      .find((line) => line.event === "internal_error");
    expect(crash?.err?.stack).toContain("TypeError: injected fault");
    expect(crash?.err?.stack).toContain("startRun");
  },
  60_000,
);

test("--help of run and of bench humaneval lists the exit codes", async () => {
  const run = await runCli(["run", "--help"]);
  expect(run.exitCode).toBe(0);
  for (const code of ["0", "1", "2", "3", "4", "5", "70", "130"])
    expect(run.stdout).toMatch(new RegExp(`^  ${code} +\\S`, "m"));
  expect(run.stdout).toContain("5    verified but not landed: git refused the commit");
  const bench = await runCli(["bench", "humaneval", "--help"]);
  expect(bench.exitCode).toBe(0);
  expect(bench.stdout).toContain("70   internal error (a bug)");
  expect(bench.stdout).toContain("130  interrupted (continue with --resume)");
}, 30_000);
