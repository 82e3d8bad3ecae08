// Tier limits shared across processes through a real redis-server: a permit is a lease (redis-semaphore), so the
// fast tier's limit holds over every router on the same Redis, in this process or in others, and a holder killed
// with SIGKILL gives its lease back when the lease runs out.
import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { buildConfig } from "../src/config/config.ts";
import { ConfigInvalid } from "../src/errors.ts";
import { createRouter, type Router } from "../src/models/permits.ts";
import { permitKeys, redisPermits } from "../src/models/sharedPermits.ts";
import { startFakeModel } from "./fakeModel.ts";
import { cleanup, diffReply, runCli, tempDir } from "./helpers.ts";
import { REDIS_SERVER, redisForFile } from "./redisServer.ts";

const FIXTURES = path.join(import.meta.dir, "fixtures");
const server = redisForFile();
beforeEach(async () => {
  if (REDIS_SERVER) await server().client().flushall();
});

const router = (fast: number, prefix = "smol-coder"): Router =>
  createRouter(
    buildConfig([{ tiers: { fast: { concurrency: fast } } }]).tiers,
    buildConfig([]).roles,
    redisPermits(server().client(), { prefix, leaseMs: 2_000, retryMs: 10 }),
  );

/** A call that holds its permit until the test lets it go. */
function held() {
  let started = 0;
  const gates: (() => void)[] = [];
  const work = () =>
    new Promise<void>((resolve) => {
      started++;
      gates.push(resolve);
    });
  return { work, started: () => started, releaseOne: () => gates.shift()?.() };
}

async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let tries = 0; tries < 2_000; tries++) {
    if (await condition()) return;
    await Bun.sleep(5);
  }
  throw new Error(`never happened: ${what}`);
}

describe.skipIf(!REDIS_SERVER)("tier limits shared through Redis", () => {
  test("two routers on one Redis, each allowing 2 fast calls: 2 in flight between them, the rest wait their turn", async () => {
    const [a, b] = [router(2), router(2)];
    const calls = held();
    const all = [
      ...Array.from({ length: 3 }, () => a.withTier("fast", calls.work)),
      ...Array.from({ length: 3 }, () => b.withTier("fast", calls.work)),
    ];
    const leases = () => server().client().zcard(permitKeys("smol-coder", "fast").leases);
    await until(() => calls.started() === 2, "two calls started");
    for (let released = 0; released < 4; released++) {
      // Whenever looked at: never more than the limit in flight, across both routers, and as many leases.
      expect(a.inFlight("fast") + b.inFlight("fast")).toBe(2);
      expect(await leases()).toBe(2);
      expect(await a.swarmInFlight("fast")).toBe(2); // what /metrics reports: every process together
      calls.releaseOne();
      await until(() => calls.started() === 3 + released, `call ${3 + released} started`);
    }
    calls.releaseOne();
    calls.releaseOne();
    await Promise.all(all);
    expect(calls.started()).toBe(6);
    expect(await leases()).toBe(0);
  });

  test("a call given up while it waits for a lease takes none, and the line goes on", async () => {
    const only = router(1);
    const calls = held();
    const first = only.withTier("fast", calls.work);
    await until(() => calls.started() === 1, "the first call started");
    const other = router(1);
    const stop = new AbortController();
    const waiting = other.withTier("fast", calls.work, { signal: stop.signal });
    stop.abort();
    await expect(waiting).rejects.toThrow();
    calls.releaseOne();
    await first;
    await other.withTier("fast", async () => undefined);
    expect(calls.started()).toBe(1);
    expect(await server().client().zcard(permitKeys("smol-coder", "fast").leases)).toBe(0);
  });

  test("workers that disagree on a tier's limit are refused, naming it; another prefix is another swarm", async () => {
    const two = router(2);
    const calls = held();
    const first = two.withTier("fast", calls.work);
    await until(() => calls.started() === 1, "the first call started");
    const error = await router(3)
      .withTier("fast", async () => undefined)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigInvalid);
    expect((error as ConfigInvalid).message).toContain(
      "allows 3 fast calls at once, another worker on the same Redis 2",
    );
    await router(3, "other-swarm").withTier("fast", async () => undefined);
    calls.releaseOne();
    await first;
  });

  test("three processes, each allowing 2 fast calls and making 4 at once: never more than 2 in flight in all", async () => {
    const workers = Array.from({ length: 3 }, () =>
      Bun.spawn(["bun", "run", path.join(FIXTURES, "permitWorker.ts"), server().url, "2", "4", "150"], {
        stdout: "ignore",
        stderr: "pipe",
      }),
    );
    const codes = await Promise.all(workers.map((worker) => worker.exited));
    expect(codes, await new Response(workers[0]!.stderr).text()).toEqual([0, 0, 0]);
    const client = server().client();
    expect(Number(await client.get("test:done"))).toBe(12);
    expect(Number(await client.get("test:max"))).toBeLessThanOrEqual(2);
    expect(Number(await client.get("test:max"))).toBeGreaterThanOrEqual(1);
  }, 60_000);

  test("a holder killed with SIGKILL loses its lease when the lease runs out; the next call then gets it", async () => {
    const holder = Bun.spawn(["bun", "run", path.join(FIXTURES, "permitHolder.ts"), server().url, "1", "1000"], {
      stdout: "pipe",
      stderr: "pipe",
    });
    const reader = holder.stdout.getReader();
    const { value } = await reader.read();
    expect(new TextDecoder().decode(value)).toContain("holding");
    const leases = () => server().client().zcard(permitKeys("smol-coder", "fast").leases);
    expect(await leases()).toBe(1);
    holder.kill("SIGKILL");
    await holder.exited;
    // Its lease is still there (nobody released it) until it expires: then a call with the same limit goes ahead.
    const after = createRouter(
      buildConfig([{ tiers: { fast: { concurrency: 1 } } }]).tiers,
      buildConfig([]).roles,
      redisPermits(server().client(), { leaseMs: 1000, retryMs: 20 }),
    );
    let ran = false;
    await after.withTier("fast", async () => {
      ran = true;
      expect(await leases()).toBe(1);
    });
    expect(ran).toBe(true);
  }, 30_000);
});

describe.skipIf(!REDIS_SERVER)("limits.redis through the real CLI", () => {
  const TASK = JSON.stringify({
    description: "change it",
    filesOwned: ["value.txt"],
    verify: ["grep -qx changed value.txt"],
  });
  const workspace = () => {
    const dir = tempDir("smol-shared-");
    dirs.push(dir);
    writeFileSync(path.join(dir, "value.txt"), "start\n");
    return dir;
  };
  const dirs: string[] = [];
  afterAll(() => cleanup(...dirs));

  test("two runs at once on two processes, fast limited to 1 and shared on Redis: the model never sees two fast calls at once", async () => {
    const reply = { reply: diffReply("value.txt", "start\n", "changed\n"), delayMs: 400 };
    const fake = startFakeModel({ replies: { "fast-coder": [reply, reply] } });
    try {
      const config = path.join(workspace(), "config.json");
      writeFileSync(config, JSON.stringify({ tiers: { fast: { concurrency: 1 } } }));
      const env = { LITELLM_URL: fake.url, SMOL_CODER_LIMITS_REDIS: server().url };
      const [a, b] = await Promise.all(
        [workspace(), workspace()].map((dir) => runCli(["--workspace", dir, "--config", config], { stdin: TASK, env })),
      );
      expect([a!.exitCode, b!.exitCode], a!.stderr + b!.stderr).toEqual([0, 0]);
      expect(fake.requestsFor("fast-coder")).toHaveLength(2);
      expect(fake.maxInFlight["fast-coder"]).toBe(1);
      expect(a!.events.find((event) => event.event === "limits_shared")).toMatchObject({
        redis: server().url,
        prefix: "smol-coder",
      });
    } finally {
      await fake.stop();
    }
  }, 60_000);

  test("a Redis that does not answer: the run ends unreachable (exit 3), naming it with its password hidden", async () => {
    const fake = startFakeModel({ replies: { "fast-coder": [diffReply("value.txt", "start\n", "changed\n")] } });
    try {
      const url = "redis://:hunter2-secret-pw@127.0.0.1:9";
      const result = await runCli(["--workspace", workspace()], {
        stdin: TASK,
        env: { LITELLM_URL: fake.url, SMOL_CODER_LIMITS_REDIS: url },
      });
      expect(result.exitCode, result.stderr).toBe(3);
      expect(result.stderr).toContain(
        "smol-coder: the limits' Redis redis://:***@127.0.0.1:9 unusable after 1 tries: connect ECONNREFUSED 127.0.0.1:9. Fix: start that Redis",
      );
      expect(result.stdout + result.stderr).not.toContain("hunter2-secret-pw");
      expect(fake.requestsFor("fast-coder")).toHaveLength(0);
    } finally {
      await fake.stop();
    }
  }, 60_000);

  test("a limits.redis that is not a Redis URL is refused before anything runs (exit 2)", async () => {
    const result = await runCli(["--workspace", workspace()], {
      stdin: TASK,
      env: { SMOL_CODER_LIMITS_REDIS: "http://127.0.0.1:6379" },
    });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("invalid config limits.redis: must be a redis:// or rediss:// url");
  });
});
