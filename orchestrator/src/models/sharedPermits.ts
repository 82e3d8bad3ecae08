// Tier and role permits shared by every process that points at one Redis, on any machine: a permit is a lease in a
// Redis sorted set (redis-semaphore, a well-kept implementation of exactly this on ioredis), released when the call
// ends and expiring when its holder dies, so the limits that protect a model server hold however many machines call
// it. Each process keeps its own in-order semaphore first (permits.ts); the lease is taken after it. Leases are
// timed by each holder's clock (redis-semaphore scores them with Date.now()): machines' clocks must agree to well
// within the lease (ten seconds by default; NTP does).
import Redis from "ioredis";
import { Semaphore } from "redis-semaphore";
import type { Config } from "../config/config.ts";
import { redactRedisUrl } from "../config/sections.ts";
import { ConfigInvalid, EndpointUnreachable } from "../errors.ts";
import { emit } from "../log/events.ts";
import type { Logger } from "../log/log.ts";
import type { Role } from "../types.ts";

export type SharedPermits = {
  /** Waits for one of the role's `limit` leases (an abort stops the wait); resolves to its release. */
  acquire(role: Role, limit: number, signal?: AbortSignal): Promise<() => Promise<void>>;
  /** Leases of the role held now by every process together (those renewed within a lease's time). */
  held(role: Role): Promise<number>;
};

export type SharedPermitOptions = {
  /** Key prefix, so several swarms can share one Redis. */
  prefix?: string;
  /** A holder that stops renewing (killed, cut off) loses its lease after this long. */
  leaseMs?: number;
  /** How often a waiting call asks again (leases are polled, not queued: across machines, no order is kept). */
  retryMs?: number;
  /** A lease lost while its call still ran (Redis unreachable for longer than leaseMs): the limit may be exceeded. */
  onLost?: (role: Role) => void;
};

export const DEFAULT_LEASE_MS = 10_000;

/** Where each role's leases (redis-semaphore names its key semaphore:NAME) and agreed limit live. */
export const permitKeys = (prefix: string, role: Role) => ({
  leaseName: `${prefix}:permits:${role}`,
  leases: `semaphore:${prefix}:permits:${role}`,
  limit: `${prefix}:limits:${role}`,
});

/**
 * Leases on `redis`. Every process using a role must give it the same limit: the first one in a lease's time
 * sets it, and a different one is refused (ConfigInvalid), as two workers of one swarm must not disagree on what
 * the model server can take.
 */
export function redisPermits(redis: Redis, options: SharedPermitOptions = {}): SharedPermits {
  const prefix = options.prefix ?? "smol-coder";
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;

  async function agree(role: Role, limit: number): Promise<void> {
    const key = permitKeys(prefix, role).limit;
    // Kept while anyone uses the role (renewed on each lease), so a fleet that changes its limit together is not
    // held to the old one for longer than an idle lease.
    const set = await redis.set(key, String(limit), "PX", leaseMs * 3, "NX");
    if (set === "OK") return;
    const agreed = Number(await redis.get(key));
    if (agreed !== limit && Number.isFinite(agreed) && agreed > 0)
      throw new ConfigInvalid(
        `tiers/roles ${role} concurrency`,
        `this worker allows ${limit} ${role} calls at once, another worker on the same Redis ${agreed}`,
        "give every worker of the swarm the same limits (one config file), or a different --queue prefix",
      );
    await redis.pexpire(key, leaseMs * 3);
  }

  return {
    async acquire(role, limit, signal) {
      await agree(role, limit);
      const lease = new Semaphore(redis, permitKeys(prefix, role).leaseName, limit, {
        lockTimeout: leaseMs,
        acquireTimeout: Number.POSITIVE_INFINITY,
        retryInterval: options.retryMs ?? 50,
        refreshInterval: Math.round(leaseMs / 3),
        onLockLost: () => options.onLost?.(role),
      });
      await lease.acquire(signal);
      return () => lease.release();
    },
    // redis-semaphore scores each lease with its holder's clock at its last renewal.
    held: (role) => redis.zcount(permitKeys(prefix, role).leases, Date.now() - leaseMs, "+inf"),
  };
}

/**
 * The shared limits of `limits.redis`: a client that reconnects by itself (calls wait for their permits meanwhile,
 * and the log says so once each way), checked once on the first call: a Redis that never answers is an unreachable
 * endpoint (exit 3), not a wait without end.
 */
export function openSharedLimits(
  settings: Config["limits"] & { redis: string },
  log: Logger,
  connectTimeoutMs = 5_000,
): { permits: SharedPermits; close(): Promise<void> } {
  const shown = redactRedisUrl(settings.redis);
  const redis = new Redis(settings.redis, {
    maxRetriesPerRequest: null,
    lazyConnect: true,
    connectTimeout: connectTimeoutMs,
  });
  let lost = false;
  let lastError = "";
  redis.on("error", (error: Error) => {
    lastError = error.message.replaceAll(settings.redis, shown);
    if (lost) return;
    lost = true;
    emit(log, "limits_redis_lost", { redis: shown, reason: error.message.replaceAll(settings.redis, shown) });
  });
  redis.on("ready", () => {
    if (!lost) return;
    lost = false;
    emit(log, "limits_redis_back", { redis: shown });
  });
  let first: Promise<void> | null = null;
  const connected = () =>
    (first ??= redis.connect().then(
      () => emit(log, "limits_shared", { redis: shown, prefix: settings.prefix }),
      (error: Error) => {
        first = null; // the next call tries again: that Redis may be up by then
        throw new EndpointUnreachable(
          shown,
          `${lastError || error.message}. Fix: start that Redis, or unset limits.redis (SMOL_CODER_LIMITS_REDIS) to keep this process's own limits`,
          1,
          "the limits' Redis",
        );
      },
    ));
  const permits = redisPermits(redis, {
    prefix: settings.prefix,
    leaseMs: settings.leaseMs,
    onLost: (role) => emit(log, "permit_lease_lost", { tier: role }),
  });
  return {
    permits: {
      async acquire(role, limit, signal) {
        await connected();
        return permits.acquire(role, limit, signal);
      },
      async held(role) {
        await connected();
        return permits.held(role);
      },
    },
    async close() {
      if (first) await redis.quit().catch(() => redis.disconnect());
      else redis.disconnect();
    },
  };
}
