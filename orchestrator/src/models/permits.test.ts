import { describe, expect, test } from "bun:test";
import { buildConfig } from "../config/config.ts";
import { createRouter, type QueuePlace } from "./permits.ts";
import type { Tier } from "../types.ts";

function tiers(fast: number, deep: number, reviewer: number) {
  return {
    fast: { model: "fast-coder", concurrency: fast, contextTokens: 8192, maxReplyTokens: null },
    deep: { model: "deep-coder", concurrency: deep, contextTokens: 16_384, maxReplyTokens: null },
    reviewer: { model: "reviewer", concurrency: reviewer, contextTokens: null, maxReplyTokens: null },
  };
}

/** Starts `count` jobs on a tier and reports the most that ran at once. */
async function maxConcurrent(
  router: ReturnType<typeof createRouter>,
  tier: Tier,
  count: number,
  ms = 20,
): Promise<{ max: number; results: number[] }> {
  let running = 0;
  let max = 0;
  const results = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      router.withTier(tier, async () => {
        running++;
        max = Math.max(max, running);
        await Bun.sleep(ms);
        running--;
        return i;
      }),
    ),
  );
  return { max, results };
}

describe("createRouter", () => {
  test("modelFor maps tiers to their models", () => {
    const router = createRouter(buildConfig([]).tiers, buildConfig([]).roles);
    expect(router.modelFor("fast")).toBe("fast-coder");
    expect(router.modelFor("deep")).toBe("deep-coder");
    expect(router.modelFor("reviewer")).toBe("reviewer");
  });

  test("each tier's context window, null where the backend sizes its own", () => {
    const router = createRouter(tiers(1, 1, 1), buildConfig([]).roles);
    expect(router.contextFor("fast")).toBe(8192);
    expect(router.contextFor("deep")).toBe(16_384);
    expect(router.contextFor("reviewer")).toBeNull();
    expect(router.contextFor("mentor")).toBeNull();
  });

  test.each([
    ["fast", 4],
    ["deep", 1],
    ["reviewer", 2],
  ] as const)("%s never runs more than %d jobs at once", async (tier, limit) => {
    const router = createRouter(tiers(4, 1, 2), buildConfig([]).roles);
    const { max, results } = await maxConcurrent(router, tier, 10);
    expect(max).toBe(limit);
    expect(results).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  test("tiers are independent: a full deep tier does not block fast", async () => {
    const router = createRouter(tiers(2, 1, 1), buildConfig([]).roles);
    let releaseDeep!: () => void;
    const deepHeld = router.withTier("deep", () => new Promise<void>((resolve) => (releaseDeep = resolve)));
    await Bun.sleep(5);
    // deep is held until the end of the test: were fast waiting on it, this would never resolve.
    const fast = await router.withTier("fast", async () => "fast done");
    expect(fast).toBe("fast done");
    // A second deep job must wait until the first is released.
    let secondDeepRan = false;
    const second = router.withTier("deep", async () => {
      secondDeepRan = true;
    });
    await Bun.sleep(30);
    expect(secondDeepRan).toBe(false);
    releaseDeep();
    await deepHeld;
    await second;
    expect(secondDeepRan).toBe(true);
  });

  test("tiers run concurrently with each other", async () => {
    const router = createRouter(tiers(1, 1, 1), buildConfig([]).roles);
    let running = 0;
    let max = 0;
    const job = async () => {
      running++;
      max = Math.max(max, running);
      await Bun.sleep(20);
      running--;
    };
    await Promise.all((["fast", "deep", "reviewer"] as const).map((tier) => router.withTier(tier, job)));
    expect(max).toBe(3);
  });

  test("a permit is released when the work throws", async () => {
    const router = createRouter(tiers(1, 1, 1), buildConfig([]).roles);
    await expect(
      router.withTier("deep", async () => {
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    const result = await Promise.race([
      router.withTier("deep", async () => "next ran"),
      Bun.sleep(1000).then(() => "stuck"),
    ]);
    expect(result).toBe("next ran");
  });

  test("a throwing job among many does not leak permits", async () => {
    const router = createRouter(tiers(2, 1, 1), buildConfig([]).roles);
    const jobs = Array.from({ length: 6 }, (_, i) =>
      router
        .withTier("fast", async () => {
          await Bun.sleep(5);
          if (i % 2 === 0) throw new Error(`job ${i}`);
          return i;
        })
        .catch((error: Error) => error.message),
    );
    expect(await Promise.all(jobs)).toEqual(["job 0", 1, "job 2", 3, "job 4", 5]);
    const { max } = await maxConcurrent(router, "fast", 6, 10);
    expect(max).toBe(2);
  });

  test("each ask reports its place: 0 when a permit is free, then its position in line", async () => {
    const router = createRouter(tiers(1, 1, 1), buildConfig([]).roles);
    const places: QueuePlace[] = [];
    const gates: (() => void)[] = [];
    const jobs = [0, 1, 2].map(() =>
      router.withTier("deep", () => new Promise<void>((resolve) => gates.push(resolve)), {
        onQueued: (place) => places.push(place),
      }),
    );
    expect(places).toEqual([
      { position: 0, inFlight: 0, concurrency: 1 },
      { position: 1, inFlight: 0, concurrency: 1 },
      { position: 2, inFlight: 0, concurrency: 1 },
    ]);
    // The first has its permit once the semaphore answers; a later ask then sees it in flight.
    while (gates.length === 0) await Bun.sleep(1);
    router.withTier("deep", async () => undefined, { onQueued: (place) => places.push(place) }).catch(() => undefined);
    expect(places[3]).toEqual({ position: 3, inFlight: 1, concurrency: 1 });
    for (let released = 0; released < 3; released++) {
      while (gates.length <= released) await Bun.sleep(1);
      gates[released]!();
    }
    await Promise.all(jobs);
  });

  test("an abort while waiting rejects at once and loses no permit; work that never started never runs", async () => {
    const router = createRouter(tiers(1, 1, 1), buildConfig([]).roles);
    let releaseFirst!: () => void;
    const first = router.withTier("deep", () => new Promise<void>((resolve) => (releaseFirst = resolve)));
    const controller = new AbortController();
    let abortedRan = false;
    const waiting = router.withTier(
      "deep",
      async () => {
        abortedRan = true;
      },
      { signal: controller.signal },
    );
    const reason = new Error("interrupted");
    controller.abort(reason);
    // Rejects while the first still holds the permit: the wait itself gave up.
    expect(await waiting.catch((error: unknown) => error)).toBe(reason);
    releaseFirst();
    await first;
    // The permit the aborted waiter would have had is handed on: one permit, and it still works.
    const { max } = await maxConcurrent(router, "deep", 3, 5);
    expect(max).toBe(1);
    expect(abortedRan).toBe(false);
  });

  test("an already aborted signal never asks for a permit", async () => {
    const router = createRouter(tiers(1, 1, 1), buildConfig([]).roles);
    const controller = new AbortController();
    controller.abort(new Error("gone"));
    const places: QueuePlace[] = [];
    await expect(
      router.withTier("fast", async () => "ran", { signal: controller.signal, onQueued: (p) => places.push(p) }),
    ).rejects.toThrow("gone");
    expect(places).toEqual([]);
  });
});
