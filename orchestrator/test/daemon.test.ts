// The daemon end to end: real CLI processes (serve, submit, wait), real git workspaces and tsc, the fake model
// server as the endpoint. Many clients, one queue, one set of tier limits; a daemon killed mid-run loses nothing.
import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { startFakeModel } from "./fakeModel.ts";
import { alive, diffReply, eventNames, git, runCli, spawnCli, tempDir } from "./helpers.ts";
import { openSqliteQueue } from "../src/queue/sqlite.ts";
import {
  AVERAGE_TASK,
  AVG,
  AVG_RIGHT,
  client,
  daemonTestKit,
  MATH,
  MATH_BEFORE,
  MATH_RIGHT,
  reply,
  TOTAL_TASK,
} from "./daemonHelpers.ts";

const { resources, daemons, workspace, daemonEnv, startDaemon } = daemonTestKit();

describe("the daemon", () => {
  test("submit --wait streams the task's events and exits as run would; the socket is 0600 in a 0700 directory", async () => {
    resources.fake = startFakeModel({ fallback: { "fast-coder": reply("fast"), "deep-coder": reply("deep") } });
    const { socket, env } = daemonEnv();
    await startDaemon(socket, env);
    expect(statSync(socket).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(socket)).mode & 0o777).toBe(0o700);
    const dir = workspace();
    const result = await client(["submit", "--wait", "--workspace", dir], socket, env, JSON.stringify(TOTAL_TASK));
    expect(result.exitCode).toBe(0);
    const names = eventNames(result);
    expect(names.filter((name) => name === "verification_failed")).toHaveLength(2);
    expect(names.at(-1)).toBe("task_completed");
    expect(result.stderr).toMatch(/smol-coder: task \S+ complete after 3 attempt\(s\), final tier deep; run r-/);
    expect(readFileSync(path.join(dir, MATH), "utf8")).toBe(MATH_RIGHT);
    // Prometheus text on the same socket: the queue, the outcome, a latency histogram per alias.
    const metrics = await (await fetch("http://d/metrics", { unix: socket } as RequestInit)).text();
    expect(metrics).toContain('smol_coder_queue_tasks{state="done"} 1');
    expect(metrics).toContain('smol_coder_tasks_finished_total{outcome="complete"} 1');
    expect(metrics).toContain('smol_coder_model_call_duration_seconds_count{alias="fast-coder",role="fast"} 2');
    expect(metrics).toContain('smol_coder_model_call_duration_seconds_count{alias="deep-coder",role="deep"} 1');
    expect(metrics).toContain('smol_coder_model_calls_in_flight{role="fast"} 0');
    expect(metrics).toMatch(/^process_resident_memory_bytes \d+/m);
    const doctor = JSON.parse(
      (await runCli(["doctor", "--json"], { env: { ...env, SMOL_CODER_SOCKET: socket } })).stdout,
    ) as { checks: { name: string; status: string; detail: string }[] };
    expect(doctor.checks.find((check) => check.name === "daemon")).toMatchObject({
      status: "ok",
      detail: expect.stringContaining(`0 queued, 0 running, on ${socket}`),
    });
  }, 60_000);

  test("a task whose model call outlasts Bun's 10 s idle limit still streams to the end (a slow local model)", async () => {
    resources.fake = startFakeModel({
      fallback: { "fast-coder": { reply: diffReply(MATH, MATH_BEFORE, MATH_RIGHT), delayMs: 12_000 } },
      advisors: false,
    });
    const { socket, env } = daemonEnv();
    const config = path.join(path.dirname(env.SMOL_CODER_DB!), "config.json");
    writeFileSync(config, JSON.stringify({ guidance: { spec: false } }));
    const daemon = spawnCli(["serve", "--socket", socket, "--config", config], { env });
    daemons.push(daemon);
    await daemon.until((event) => event.event === "daemon_ready");
    const result = await client(
      ["submit", "--wait", "--workspace", workspace()],
      socket,
      env,
      JSON.stringify(TOTAL_TASK),
    );
    expect(result.stderr).toMatch(/task \S+ complete after 1 attempt/);
    expect(result.exitCode).toBe(0);
  }, 60_000);

  test("bad input is refused at submit with exit 2; an unknown id is exit 2; no daemon is exit 3", async () => {
    resources.fake = startFakeModel({});
    const { socket, env } = daemonEnv();
    await startDaemon(socket, env);
    const dir = workspace();
    const escaping = await client(
      ["submit", "--workspace", dir],
      socket,
      env,
      JSON.stringify({ description: "x", filesOwned: ["../outside.ts"] }),
    );
    expect(escaping.exitCode).toBe(2);
    expect(escaping.stderr).toContain("leaves the workspace");
    const unknown = await client(["status", "t-nothere"], socket, env);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain("no task t-nothere");
    const none = await client(["tasks"], path.join(path.dirname(socket), "none.sock"), env);
    expect(none.exitCode).toBe(3);
    expect(none.stderr).toContain("no smol-coder daemon answers");
    expect(none.stderr.trim().split("\n")).toHaveLength(1);
  }, 60_000);

  test("three clients, 18 tasks, two on one shared workspace: all complete within the tier limits, both changes land, tsc passes", async () => {
    resources.fake = startFakeModel({ fallback: { "fast-coder": reply("fast"), "deep-coder": reply("deep") } });
    const { socket, env } = daemonEnv();
    await startDaemon(socket, env);
    const shared = workspace();
    const jobs: { dir: string; task: object }[] = [
      { dir: shared, task: TOTAL_TASK },
      { dir: shared, task: AVERAGE_TASK },
    ];
    for (let i = 0; i < 16; i++) jobs.push({ dir: workspace(), task: i % 2 ? AVERAGE_TASK : TOTAL_TASK });
    const cli = path.join(import.meta.dir, "..", "src", "index.ts");
    // Each client submits its six tasks, then waits for each: three processes talking to the daemon at once.
    const clients = [0, 1, 2].map((c) => {
      const mine = jobs.filter((_, i) => i % 3 === c);
      const files = mine.map((job, i) => {
        const file = path.join(path.dirname(socket), `client${c}-task${i}.json`);
        writeFileSync(file, JSON.stringify(job.task));
        return { file, dir: job.dir };
      });
      const script = [
        "set -e; ids=()",
        ...files.map(
          ({ file, dir }) => `ids+=("$(bun run ${cli} submit --file ${file} --workspace ${dir} --socket ${socket})")`,
        ),
        'codes=""; for id in "${ids[@]}"; do set +e; bun run ' +
          cli +
          ' wait "$id" --socket ' +
          socket +
          '; codes="$codes $?"; set -e; done; echo "exits:$codes"',
      ].join("\n");
      return Bun.spawn(["bash", "-c", script], { env: { ...process.env, ...env }, stdout: "pipe", stderr: "pipe" });
    });
    const outputs = await Promise.all(
      clients.map(async (child) => ({
        code: await child.exited,
        out: await new Response(child.stdout).text(),
        err: await new Response(child.stderr).text(),
      })),
    );
    for (const output of outputs) {
      expect(output.code).toBe(0);
      expect(output.out).toContain("exits: 0 0 0 0 0 0");
    }
    expect(resources.fake.maxInFlight["fast-coder"]).toBeLessThanOrEqual(4);
    expect(resources.fake.maxInFlight["fast-coder"]).toBeGreaterThan(1);
    expect(resources.fake.maxInFlight["deep-coder"]).toBe(1);
    expect(readFileSync(path.join(shared, MATH), "utf8")).toBe(MATH_RIGHT);
    expect(readFileSync(path.join(shared, AVG), "utf8")).toBe(AVG_RIGHT);
    const tsc = Bun.spawnSync(["./node_modules/.bin/tsc", "--noEmit", "-p", "."], { cwd: shared });
    expect(tsc.exitCode).toBe(0);
    const list = JSON.parse((await client(["tasks", "--json"], socket, env)).stdout) as {
      state: string;
      status: string;
    }[];
    expect(list.map((task) => `${task.state} ${task.status}`)).toEqual(Array(18).fill("done complete"));
  }, 240_000);

  test("kill -9 mid-run, start again: every task ends complete, each fix present once, committed once", async () => {
    resources.fake = startFakeModel({ fallback: { "fast-coder": reply("fast"), "deep-coder": reply("deep") } });
    const { socket, env } = daemonEnv();
    const first = await startDaemon(socket, env);
    const dirs = [workspace(), workspace(), workspace()];
    const ids: string[] = [];
    for (const dir of dirs) {
      const submitted = await client(
        ["submit", "--commit", "--workspace", dir],
        socket,
        env,
        JSON.stringify(TOTAL_TASK),
      );
      expect(submitted.exitCode).toBe(0);
      ids.push(submitted.stdout.trim());
    }
    // Killed while attempts are under way: their edits live in the tasks' views, never in a workspace.
    await first.until((event) => event.event === "patch_applied");
    process.kill(first.pid, "SIGKILL");
    await first.finished;
    for (const dir of dirs) expect([MATH_BEFORE, MATH_RIGHT]).toContain(readFileSync(path.join(dir, MATH), "utf8"));
    const second = await startDaemon(socket, env);
    expect(second.events.filter((event) => event.event === "task_recovered").length).toBeGreaterThan(0);
    for (const id of ids) expect((await client(["wait", id], socket, env)).exitCode).toBe(0);
    for (const dir of dirs) {
      expect(readFileSync(path.join(dir, MATH), "utf8")).toBe(MATH_RIGHT);
      expect(git(dir, "log", "--oneline", "--", MATH).trim().split("\n")).toHaveLength(2); // the fixture's commit and the fix
      expect(git(dir, "status", "--porcelain").trim()).toBe("");
    }
    const list = JSON.parse((await client(["tasks", "--json"], socket, env)).stdout) as {
      state: string;
      status: string;
      starts: number;
    }[];
    expect(list.map((task) => `${task.state} ${task.status}`)).toEqual(Array(3).fill("done complete"));
    expect(Math.max(...list.map((task) => task.starts))).toBe(2);
  }, 120_000);

  test("killed between a landing's commit and the queue's record: started again, the task finds its commit and is not applied twice", async () => {
    resources.fake = startFakeModel({ fallback: { "fast-coder": reply("fast"), "deep-coder": reply("deep") } });
    const { socket, env } = daemonEnv();
    const dir = workspace();
    // What the killed daemon left: the task running for an owner that is gone, its change committed with its trailer.
    const queue = openSqliteQueue(env.SMOL_CODER_DB!, { maxQueued: 10 });
    const task = await queue.submit({ task: TOTAL_TASK, workspace: dir, commit: true, priority: 0 });
    await queue.claim({ id: "killed", pid: 999_999_999, bootId: null }, () => true);
    await queue.close();
    writeFileSync(path.join(dir, MATH), MATH_RIGHT);
    git(dir, "commit", "-qam", `${TOTAL_TASK.description}\n\nSmol-Coder-Task: ${task.id} ${task.submittedAt}`);
    const commits = git(dir, "rev-list", "--count", "HEAD").trim();
    await startDaemon(socket, env);
    const waited = await client(["wait", task.id], socket, env);
    expect(waited.exitCode, waited.stderr).toBe(0);
    expect(waited.stderr).toContain("an earlier start committed its change");
    expect(git(dir, "rev-list", "--count", "HEAD").trim()).toBe(commits);
    expect(resources.fake.requests).toHaveLength(0);
  }, 60_000);

  test("SIGTERM drains: no new task starts, a task past --drain-timeout is interrupted and queued again", async () => {
    resources.fake = startFakeModel({ fallback: { "fast-coder": diffReply("value.txt", "start\n", "changed\n") } });
    const { socket, env } = daemonEnv();
    const config = path.join(path.dirname(env.SMOL_CODER_DB!), "config.json");
    writeFileSync(config, JSON.stringify({ daemon: { maxTasks: 1 }, verify: { timeoutMs: 60_000 } }));
    const daemon = spawnCli(["serve", "--socket", socket, "--config", config, "--drain-timeout", "500"], { env });
    daemons.push(daemon);
    await daemon.until((event) => event.event === "daemon_ready");
    const dir = resources.track(tempDir("smol-drain-"));
    writeFileSync(path.join(dir, "value.txt"), "start\n");
    const task = JSON.stringify({ description: "change it", filesOwned: ["value.txt"], verify: ["sleep 30"] });
    const id = (await client(["submit", "--workspace", dir], socket, env, task)).stdout.trim();
    await daemon.until((event) => event.event === "verification_started");
    // The attempt's edit is verified in the task's own view: the workspace does not have it.
    expect(readFileSync(path.join(dir, "value.txt"), "utf8")).toBe("start\n");
    const other = resources.track(tempDir("smol-drain-"));
    writeFileSync(path.join(other, "value.txt"), "start\n");
    const waiting = (await client(["submit", "--workspace", other], socket, env, task)).stdout.trim();
    process.kill(daemon.pid, "SIGTERM");
    const ended = await daemon.finished;
    expect(ended.exitCode).toBe(0);
    expect(eventNames(ended)).toContain("daemon_drain_started");
    expect(eventNames(ended).at(-1)).toBe("daemon_stopped");
    expect(readFileSync(path.join(dir, "value.txt"), "utf8")).toBe("start\n");
    // Back in the queue, to start again from scratch when a daemon next runs.
    const db = new Database(env.SMOL_CODER_DB!, { readonly: true });
    expect(db.query("SELECT state, starts, status FROM queue WHERE id = ?").get(id)).toEqual({
      state: "queued",
      starts: 1,
      status: null,
    });
    expect(db.query("SELECT state, starts FROM queue WHERE id = ?").get(waiting)).toEqual({
      state: "queued",
      starts: 0,
    });
    db.close();
  }, 60_000);

  test("run hands the task to a daemon that answers (same events, same exit code); --no-daemon and config flags stay in-process", async () => {
    resources.fake = startFakeModel({ fallback: { "fast-coder": reply("fast"), "deep-coder": reply("deep") } });
    const { socket, env } = daemonEnv();
    const daemon = await startDaemon(socket, env);
    const viaSocket = { ...env, SMOL_CODER_SOCKET: socket };
    const through = await runCli(["--workspace", workspace()], { env: viaSocket, stdin: JSON.stringify(TOTAL_TASK) });
    expect(through.exitCode).toBe(0);
    expect(through.stderr).toContain(`to the daemon on ${socket}`);
    expect(eventNames(through).filter((name) => name === "verification_failed")).toHaveLength(2);
    expect(daemon.events.filter((event) => event.event === "task_started")).toHaveLength(1);
    const flagged = await runCli(["--workspace", workspace(), "--max-attempts", "2"], {
      env: viaSocket,
      stdin: JSON.stringify(TOTAL_TASK),
    });
    expect(flagged.exitCode).toBe(2);
    expect(flagged.stderr).toContain("invalid --max-attempts: sets this process's config, but the daemon on");
    const here = await runCli(["--workspace", workspace(), "--no-daemon", "--max-attempts", "2"], {
      env: viaSocket,
      stdin: JSON.stringify(TOTAL_TASK),
    });
    expect(here.exitCode).toBe(1);
    expect(here.stderr).not.toContain("to the daemon");
    expect(daemon.events.filter((event) => event.event === "task_started")).toHaveLength(1);
  }, 90_000);

  test("TCP is opt-in and needs the bearer token from a 0600 file; the token never reaches a log line", async () => {
    resources.fake = startFakeModel({});
    const { socket, env } = daemonEnv();
    const tokenFile = path.join(path.dirname(env.SMOL_CODER_DB!), "token");
    const daemon = spawnCli(["serve", "--socket", socket, "--listen", "127.0.0.1:0", "--token-file", tokenFile], {
      env,
    });
    daemons.push(daemon);
    const ready = await daemon.until((event) => event.event === "daemon_ready");
    const url = `http://${ready.listen as string}`;
    const token = readFileSync(tokenFile, "utf8").trim();
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    for (const authorization of [undefined, "Bearer wrong", `Basic ${token}`]) {
      const response = await fetch(`${url}/v1/tasks`, { headers: authorization ? { authorization } : {} });
      expect(response.status).toBe(401);
      expect(((await response.json()) as { error: string }).error).toBe("Unauthorized");
    }
    const listed = await runCli(["tasks", "--url", url], { env: { ...env, SMOL_CODER_TOKEN: token } });
    expect(listed).toMatchObject({ exitCode: 0, stdout: "no tasks\n" });
    const refused = await runCli(["tasks", "--url", url], { env: { ...env, SMOL_CODER_TOKEN: "0".repeat(64) } });
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain("no valid bearer token");
    const submitted = await runCli(["submit", "--url", url, "--workspace", workspace()], {
      env: { ...env, SMOL_CODER_TOKEN_FILE: tokenFile },
      stdin: JSON.stringify(TOTAL_TASK),
    });
    expect(submitted.exitCode).toBe(0);
    process.kill(daemon.pid, "SIGTERM");
    const ended = await daemon.finished;
    expect(ended.stdout + ended.stderr).not.toContain(token);
  }, 60_000);

  test("serve --detach returns once the daemon answers, with a pid file beside the socket; SIGTERM removes both", async () => {
    resources.fake = startFakeModel({});
    const { socket, env } = daemonEnv();
    const data = path.join(path.dirname(env.SMOL_CODER_DB!), "data");
    const started = await runCli(["serve", "--detach", "--socket", socket], { env: { ...env, XDG_DATA_HOME: data } });
    expect(started.exitCode).toBe(0);
    const pid = Number(/daemon pid (\d+)/.exec(started.stderr)?.[1]);
    try {
      expect(readFileSync(path.join(path.dirname(socket), "daemon.pid"), "utf8").trim()).toBe(String(pid));
      const health = JSON.parse(
        (await runCli(["doctor", "--json"], { env: { ...env, SMOL_CODER_SOCKET: socket } })).stdout,
      ) as { checks: { name: string; detail: string }[] };
      expect(health.checks.find((check) => check.name === "daemon")?.detail).toContain(`pid ${pid},`);
      expect(readFileSync(path.join(data, "smol-coder", "logs", "daemon.log"), "utf8")).toContain(
        '"event":"daemon_ready"',
      );
    } finally {
      process.kill(pid, "SIGTERM");
    }
    while (alive(pid)) await Bun.sleep(50);
    expect(existsSync(socket)).toBe(false);
    expect(existsSync(path.join(path.dirname(socket), "daemon.pid"))).toBe(false);
  }, 60_000);
});
