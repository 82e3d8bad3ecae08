// One workspace, one run, through the real CLI: a second run waits for the first (or refuses with --no-wait), and
// a lock left by a killed run is taken over. Synchronised on events and on the model's reply, never on time.
import { expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import path from "node:path";
import { lockFileFor } from "../src/task/lock.ts";
import { startFakeModel } from "./fakeModel.ts";
import { diffReply, perTestResources, runCli, spawnCli, tempDir, treeState } from "./helpers.ts";

const resources = perTestResources();
const TASK = JSON.stringify({ description: "change it", filesOwned: ["value.txt"], verify: ["true"] });

/** A workspace, and a data directory of its own (where the locks live): nothing is shared with other tests. */
function setUp(): { dir: string; env: Record<string, string>; lockDir: string; lockFile: string } {
  const dir = realpathSync(resources.track(tempDir("smol-lock-ws-")));
  writeFileSync(path.join(dir, "value.txt"), "start\n");
  const data = resources.track(tempDir("smol-lock-data-"));
  const lockDir = path.join(data, "smol-coder", "locks");
  return {
    dir,
    lockDir,
    lockFile: lockFileFor(lockDir, dir),
    env: { XDG_DATA_HOME: data, LITELLM_URL: resources.fake!.url },
  };
}

test("a second run on a held workspace: --no-wait refuses naming the holder's pid; without it, it waits and runs after", async () => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  resources.fake = startFakeModel({
    replies: {
      // The first run's reply waits for the test; the second run's edit applies only to what the first one left.
      "fast-coder": [
        async () => {
          await gate;
          return diffReply("value.txt", "start\n", "one\n");
        },
        diffReply("value.txt", "one\n", "two\n"),
      ],
    },
  });
  const { dir, env, lockDir, lockFile } = setUp();
  const before = treeState(dir);
  const first = spawnCli(["--workspace", dir], { stdin: TASK, env });
  const holderPid = (await first.until((event) => event.event === "task_created")).pid as number;
  expect(existsSync(lockFile)).toBe(true);
  expect(JSON.parse(readFileSync(lockFile, "utf8"))).toMatchObject({
    pid: holderPid,
    workspace: dir,
    host: hostname(),
  });
  // The lock is outside the workspace: nothing there changed.
  expect(treeState(dir)).toEqual(before);

  const refused = await runCli(["--workspace", dir, "--no-wait"], { stdin: TASK, env });
  expect(refused.exitCode).toBe(2);
  expect(refused.stderr).toContain(`is in use by smol-coder run pid ${holderPid}`);
  expect(refused.stderr).toContain("run again without --no-wait");
  expect(refused.events.map((event) => event.event)).not.toContain("task_created");

  // A waiter stopped by SIGTERM (as by Ctrl-C) ends at once with 130, and leaves the holder's lock alone.
  const stopped = spawnCli(["--workspace", dir], { stdin: TASK, env });
  await stopped.until((event) => event.event === "workspace_locked");
  process.kill(stopped.pid, "SIGTERM");
  const stoppedResult = await stopped.finished;
  expect(stoppedResult.exitCode).toBe(130);
  expect(stoppedResult.stderr).toBe("smol-coder: interrupted\n");
  expect(JSON.parse(readFileSync(lockFile, "utf8")).pid).toBe(holderPid);

  const second = spawnCli(["--workspace", dir], { stdin: TASK, env });
  const locked = await second.until((event) => event.event === "workspace_locked");
  expect(locked).toMatchObject({ workspace: dir, holderPid, lockFile });
  expect(second.events.map((event) => event.event)).not.toContain("task_created");
  release();

  const [firstResult, secondResult] = await Promise.all([first.finished, second.finished]);
  expect(firstResult.exitCode).toBe(0);
  expect(secondResult.exitCode).toBe(0);
  const names = secondResult.events.map((event) => event.event);
  expect(names.filter((name) => name === "workspace_locked")).toHaveLength(1);
  expect(names.indexOf("workspace_locked")).toBeLessThan(names.indexOf("task_created"));
  // The second run saw the first one's change: it ran after it, not beside it.
  expect(readFileSync(path.join(dir, "value.txt"), "utf8")).toBe("two\n");
  expect(readdirSync(lockDir)).toEqual([]);
}, 60_000);

test("a lock left by a killed run is taken over, and the run says so", async () => {
  resources.fake = startFakeModel({ replies: { "fast-coder": [diffReply("value.txt", "start\n", "changed\n")] } });
  const { dir, env, lockDir, lockFile } = setUp();
  const killed = Bun.spawn(["sleep", "60"]);
  killed.kill("SIGKILL");
  await killed.exited;
  mkdirSync(lockDir, { recursive: true });
  writeFileSync(
    lockFile,
    JSON.stringify({ pid: killed.pid, startedAt: new Date().toISOString(), workspace: dir, host: hostname() }),
  );
  const result = await runCli(["--workspace", dir, "--no-wait"], { stdin: TASK, env });
  expect(result.exitCode).toBe(0);
  expect(result.events.find((event) => event.event === "workspace_lock_reclaimed")).toMatchObject({
    holderPid: killed.pid,
    reason: `pid ${killed.pid} is not running`,
  });
  expect(readFileSync(path.join(dir, "value.txt"), "utf8")).toBe("changed\n");
  expect(readdirSync(lockDir)).toEqual([]);
}, 60_000);
