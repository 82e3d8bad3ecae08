// Tiers, advisory roles and their semaphores: one per tier or role, shared by every task in the process.
import { Semaphore } from "async-mutex";
import type { Config } from "../config/config.ts";
import { abortable } from "./abortable.ts";
import type { Role } from "../types.ts";
import type { SharedPermits } from "./sharedPermits.ts";

export type Router = {
  modelFor(role: Role): string;
  /** The role's context window to send with each call; null when the backend sizes its own. */
  contextFor(role: Role): number | null;
  /** The role's cap on reply tokens; null when none is set. */
  maxReplyFor(role: Role): number | null;
  /**
   * Runs `work` holding one of the role's permits; the permit is released however `work` ends. Permits go in
   * the order they were asked for. An abort while waiting rejects at once, and the permit, when its turn comes,
   * is handed straight on: none is lost.
   */
  withTier<T>(role: Role, work: () => Promise<T>, options?: PermitOptions): Promise<T>;
  /** Calls holding one of the role's permits now. */
  inFlight(role: Role): number;
  /** With limits shared on Redis: the role's calls holding a lease now, every process together; null without. */
  swarmInFlight(role: Role): Promise<number> | null;
};
/** Where a call stands when it asks: position 0 means a permit was free; 1 is next in line. */
export type QueuePlace = { position: number; inFlight: number; concurrency: number };
export type PermitOptions = { signal?: AbortSignal; onQueued?: (place: QueuePlace) => void };

type Line = {
  role: Role;
  semaphore: Semaphore;
  concurrency: number;
  waiting: number;
  inFlight: number;
  shared: SharedPermits | undefined;
};

async function holding<T>(line: Line, work: () => Promise<T>, options: PermitOptions): Promise<T> {
  options.signal?.throwIfAborted();
  // Everyone ahead (holding a permit or waiting for one) beyond the permits there are: 0 means it starts now.
  const position = Math.max(0, line.inFlight + line.waiting - line.concurrency + 1);
  options.onQueued?.({ position, inFlight: line.inFlight, concurrency: line.concurrency });
  line.waiting += 1;
  const acquiring = line.semaphore.acquire();
  let release: () => void;
  try {
    [, release] = await abortable(acquiring, options.signal);
  } catch (error) {
    acquiring.then(
      ([, handBack]) => handBack(),
      () => {},
    );
    throw error;
  } finally {
    line.waiting -= 1;
  }
  // Then the lease every process on the same Redis shares (none without one): this process's own order first, so
  // it never holds more leases than its own limit.
  let releaseLease: (() => Promise<void>) | undefined;
  try {
    releaseLease = await line.shared?.acquire(line.role, line.concurrency, options.signal);
  } catch (error) {
    release();
    throw error;
  }
  line.inFlight += 1;
  try {
    return await work();
  } finally {
    line.inFlight -= 1;
    // Not waited for: with its Redis away the release would wait for it, and the lease expires by itself anyway.
    void releaseLease?.().catch(() => undefined);
    release();
  }
}

/**
 * `roles` has no default of its own: the config's (roles.specWriter, roles.mentor) is the one. With `shared`, each
 * call also holds one of its role's leases in Redis, so the limits hold across every process and machine using it.
 */
export function createRouter(tiers: Config["tiers"], roles: Config["roles"], shared?: SharedPermits): Router {
  const settings: Record<
    Role,
    { model: string; concurrency: number; contextTokens: number | null; maxReplyTokens: number | null }
  > = {
    fast: tiers.fast,
    deep: tiers.deep,
    reviewer: tiers.reviewer,
    "spec-writer": roles.specWriter,
    mentor: roles.mentor,
  };
  const lines = Object.fromEntries(
    Object.entries(settings).map(([role, s]) => [
      role,
      {
        role: role as Role,
        semaphore: new Semaphore(s.concurrency),
        concurrency: s.concurrency,
        waiting: 0,
        inFlight: 0,
        shared,
      },
    ]),
  ) as Record<Role, Line>;
  return {
    modelFor: (role) => settings[role].model,
    contextFor: (role) => settings[role].contextTokens,
    maxReplyFor: (role) => settings[role].maxReplyTokens,
    withTier: (role, work, options = {}) => holding(lines[role], work, options),
    inFlight: (role) => lines[role].inFlight,
    swarmInFlight: (role) => shared?.held(role) ?? null,
  };
}
