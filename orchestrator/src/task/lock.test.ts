import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import path from "node:path";
import { ConfigInvalid, isAbort, WorkspaceLocked } from "../errors.ts";
import {
  lockFileFor,
  lockState,
  lockWorkspace,
  parseLock,
  pidAlive,
  type LockOptions,
  type LockRecord,
} from "./lock.ts";

let lockDir: string;
const WORKSPACE = "/work/some/project";
const holders: Bun.Subprocess[] = [];

beforeEach(() => {
  lockDir = path.join(mkdtempSync(path.join(tmpdir(), "smol-lock-")), "locks");
});
afterEach(() => {
  for (const holder of holders.splice(0)) holder.kill("SIGKILL");
  rmSync(path.dirname(lockDir), { recursive: true, force: true });
});

const take = (options: Partial<LockOptions> = {}) =>
  lockWorkspace({ lockDir, workspace: WORKSPACE, wait: false, pollMs: 10, ...options });
const lockFile = () => lockFileFor(lockDir, WORKSPACE);
const record = (fields: Partial<LockRecord> = {}): LockRecord => ({
  pid: process.pid,
  startedAt: "2026-01-01T00:00:00.000Z",
  workspace: WORKSPACE,
  host: hostname(),
  ...fields,
});
function plant(fields: Partial<LockRecord> | string): void {
  mkdirSync(lockDir, { recursive: true });
  writeFileSync(lockFile(), typeof fields === "string" ? fields : JSON.stringify(record(fields)));
}

/** A process that runs until the test kills it: a live holder that is not this process. */
function liveProcess(): number {
  const child = Bun.spawn(["sleep", "60"], { stdout: "ignore", stderr: "ignore" });
  holders.push(child);
  return child.pid;
}

/** The pid of a process that ran and is gone (reaped). */
async function deadPid(): Promise<number> {
  const child = Bun.spawn(["true"]);
  await child.exited;
  return child.pid;
}

describe("pure parts", () => {
  test("the lock file is named by a hash of the workspace, inside the lock directory", () => {
    expect(path.dirname(lockFileFor("/data/locks", "/a"))).toBe("/data/locks");
    expect(path.basename(lockFileFor("/data/locks", "/a"))).toMatch(/^[0-9a-f]{64}\.lock$/);
    expect(lockFileFor("/data/locks", "/a")).toBe(lockFileFor("/data/locks", "/a"));
    expect(lockFileFor("/data/locks", "/a")).not.toBe(lockFileFor("/data/locks", "/b"));
  });

  test.each([
    ["a record", JSON.stringify(record({ pid: 42 })), { pid: 42 }],
    ["a record with fields a later version added", JSON.stringify({ ...record({ pid: 42 }), extra: 1 }), { pid: 42 }],
    ["empty", "", null],
    ["not JSON", "{half", null],
    ["JSON but no lock", JSON.stringify({ pid: "42" }), null],
  ] as const)("parseLock: %s", (_, text, expected) => {
    const parsed = parseLock(text);
    if (expected === null) expect(parsed).toBeNull();
    else expect(parsed).toMatchObject(expected);
  });

  const here = { host: "this-host", bootId: "boot-2", alive: true };
  test.each([
    ["a live pid on this machine holds", record({ host: "this-host" }), here, "held"],
    ["a dead pid is stale", record({ host: "this-host" }), { ...here, alive: false }, "stale"],
    [
      "another machine's lock holds: its pid cannot be checked",
      record({ host: "other-host" }),
      { ...here, alive: false },
      "held",
    ],
    [
      "a lock from before a restart is stale, whatever its pid",
      record({ host: "this-host", bootId: "boot-1" }),
      here,
      "stale",
    ],
    ["the same boot and a live pid holds", record({ host: "this-host", bootId: "boot-2" }), here, "held"],
    [
      "no boot id (not Linux) leaves the pid to decide",
      record({ host: "this-host", bootId: "boot-1" }),
      { ...here, bootId: null },
      "held",
    ],
    ["a file that is no lock record is stale", null, here, "stale"],
  ] as const)("lockState: %s", (_, held, where, kind) => {
    expect(lockState(held, where).kind).toBe(kind);
  });

  test("pidAlive: this process runs, a reaped child does not", async () => {
    expect(pidAlive(process.pid)).toBe(true);
    expect(pidAlive(await deadPid())).toBe(false);
  });
});

describe("lockWorkspace", () => {
  test("takes the lock as a record of this process, and release removes it", async () => {
    const lock = await take();
    expect(lock.file).toBe(lockFile());
    expect(parseLock(readFileSync(lock.file, "utf8"))).toMatchObject({
      pid: process.pid,
      workspace: WORKSPACE,
      host: hostname(),
    });
    await lock.release();
    expect(existsSync(lock.file)).toBe(false);
    // Free again, and nothing else was left in the lock directory.
    await (await take()).release();
    expect(readdirSync(lockDir)).toEqual([]);
  });

  test("a live holder: --no-wait refuses with the holder's pid and the lock file", async () => {
    const pid = liveProcess();
    plant({ pid });
    const refusal = await take().catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(WorkspaceLocked);
    expect(refusal).toMatchObject({ holderPid: pid, lockFile: lockFile(), workspace: WORKSPACE });
    expect((refusal as Error).message).toContain(`pid ${pid}`);
    expect(parseLock(readFileSync(lockFile(), "utf8"))?.pid).toBe(pid);
  });

  test("a stale lock (its run was killed) is taken over, and the takeover is told", async () => {
    const pid = await deadPid();
    plant({ pid });
    const told: unknown[] = [];
    const lock = await take({ onStale: (holder, reason) => told.push({ pid: holder?.pid, reason }) });
    expect(parseLock(readFileSync(lock.file, "utf8"))?.pid).toBe(process.pid);
    expect(told).toEqual([{ pid, reason: `pid ${pid} is not running` }]);
    await lock.release();
  });

  test("a lock file that is no lock record is taken over", async () => {
    plant("not a lock");
    const lock = await take();
    expect(parseLock(readFileSync(lock.file, "utf8"))?.pid).toBe(process.pid);
    await lock.release();
  });

  test("two takers at once: exactly one wins, the other is refused naming the winner", async () => {
    const results = await Promise.allSettled([take(), take()]);
    const won = results.filter((r) => r.status === "fulfilled");
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(won).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect(refused[0]!.reason).toBeInstanceOf(WorkspaceLocked);
    expect(refused[0]!.reason.holderPid).toBe(process.pid);
  });

  test("two takers racing for one stale lock: exactly one wins, every time", async () => {
    const pid = await deadPid();
    for (let round = 0; round < 20; round++) {
      plant({ pid });
      const results = await Promise.allSettled([take(), take(), take()]);
      const won = results.filter(
        (r): r is PromiseFulfilledResult<Awaited<ReturnType<typeof take>>> => r.status === "fulfilled",
      );
      expect(won).toHaveLength(1);
      expect(results.filter((r) => r.status === "rejected" && r.reason instanceof WorkspaceLocked)).toHaveLength(2);
      await won[0]!.value.release();
      expect(readdirSync(lockDir)).toEqual([]);
    }
  });

  test("a waiter waits for the holder's release, told once, then takes the lock", async () => {
    const first = await take();
    const told: number[] = [];
    let waiting!: () => void;
    const seen = new Promise<void>((resolve) => (waiting = resolve));
    const second = take({ wait: true, onWait: (holder) => (told.push(holder.pid), waiting()) });
    await seen;
    // Still waiting after being told: the lock is the first one's.
    expect(parseLock(readFileSync(lockFile(), "utf8"))?.startedAt).toBe(first.record.startedAt);
    await first.release();
    const lock = await second;
    expect(told).toEqual([process.pid]);
    expect(lock.record.startedAt).toBe(parseLock(readFileSync(lockFile(), "utf8"))!.startedAt);
    await lock.release();
  });

  test("a waiter whose holder is killed takes the lock over", async () => {
    const holder = Bun.spawn(["sleep", "60"], { stdout: "ignore", stderr: "ignore" });
    holders.push(holder);
    plant({ pid: holder.pid });
    let waiting!: () => void;
    const seen = new Promise<void>((resolve) => (waiting = resolve));
    const lock = take({ wait: true, onWait: () => waiting() });
    await seen;
    holder.kill("SIGKILL");
    await holder.exited;
    expect(parseLock(readFileSync((await lock).file, "utf8"))?.pid).toBe(process.pid);
    await (await lock).release();
  });

  test("Ctrl-C while waiting stops the wait with an abort, and leaves the holder's lock", async () => {
    const pid = liveProcess();
    plant({ pid });
    const interrupt = new AbortController();
    const waited = take({ wait: true, signal: interrupt.signal, onWait: () => interrupt.abort() }).catch(
      (error: unknown) => error,
    );
    expect(isAbort(await waited)).toBe(true);
    expect(parseLock(readFileSync(lockFile(), "utf8"))?.pid).toBe(pid);
  });

  test("release leaves a lock that is no longer this one's", async () => {
    const lock = await take();
    const pid = liveProcess();
    writeFileSync(lock.file, JSON.stringify(record({ pid })));
    await lock.release();
    expect(parseLock(readFileSync(lockFile(), "utf8"))?.pid).toBe(pid);
  });

  test("a lock directory that cannot be made is a configuration error naming it and the fix", async () => {
    const file = path.join(path.dirname(lockDir), "a-file");
    writeFileSync(file, "");
    const refusal = await lockWorkspace({ lockDir: path.join(file, "locks"), workspace: WORKSPACE, wait: false }).catch(
      (error: unknown) => error,
    );
    expect(refusal).toBeInstanceOf(ConfigInvalid);
    expect((refusal as ConfigInvalid).message).toContain(path.join(file, "locks"));
    expect((refusal as ConfigInvalid).fix).toContain("XDG_DATA_HOME");
  });
});
