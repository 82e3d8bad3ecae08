// Tiers and their semaphores: one per tier, shared by every task in the process.
import { Semaphore } from "async-mutex";
import type { Config } from "./config.ts";
import type { Tier } from "./task.ts";

export type Router = {
  modelFor(tier: Tier): string;
  /** Runs `work` holding one of the tier's permits; the permit is released however `work` ends. */
  withTier<T>(tier: Tier, work: () => Promise<T>): Promise<T>;
};

export function createRouter(tiers: Config["tiers"]): Router {
  const semaphores = {
    fast: new Semaphore(tiers.fast.concurrency),
    deep: new Semaphore(tiers.deep.concurrency),
    reviewer: new Semaphore(tiers.reviewer.concurrency),
  } satisfies Record<Tier, Semaphore>;
  return {
    modelFor: (tier) => tiers[tier].model,
    withTier: (tier, work) => semaphores[tier].runExclusive(work),
  };
}

/** Pure: the tier a task starts at. Big tasks skip the fast tier. */
export function startTier(
  task: { description: string; filesOwned: string[]; startTier?: Tier },
  routing: Config["routing"],
): Tier {
  if (task.startTier) return task.startTier;
  const big = task.filesOwned.length > routing.deepWhenFilesOver || task.description.length > routing.deepWhenDescriptionOver;
  return big ? "deep" : "fast";
}
