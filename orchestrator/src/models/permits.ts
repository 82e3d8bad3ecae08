// Tiers, advisory roles and their semaphores: one per tier or role, shared by every task in the process.
import { Semaphore } from "async-mutex";
import type { Config } from "../config/config.ts";
import type { Role, Tier } from "../types.ts";


export type Router = {
  modelFor(role: Role): string;
  /** The role's context window to send with each call; null when the backend sizes its own. */
  contextFor(role: Role): number | null;
  /** The role's cap on reply tokens; null when none is set. */
  maxReplyFor(role: Role): number | null;
  /** Runs `work` holding one of the role's permits; the permit is released however `work` ends. */
  withTier<T>(role: Role, work: () => Promise<T>): Promise<T>;
};

/** `roles` has no default of its own: the config's (roles.specWriter, roles.mentor) is the one. */
export function createRouter(tiers: Config["tiers"], roles: Config["roles"]): Router {
  const settings: Record<Role, { model: string; concurrency: number; contextTokens: number | null; maxReplyTokens: number | null }> = {
    fast: tiers.fast,
    deep: tiers.deep,
    reviewer: tiers.reviewer,
    "spec-writer": roles.specWriter,
    mentor: roles.mentor,
  };
  const semaphores = Object.fromEntries(Object.entries(settings).map(([role, s]) => [role, new Semaphore(s.concurrency)])) as Record<Role, Semaphore>;
  return {
    modelFor: (role) => settings[role].model,
    contextFor: (role) => settings[role].contextTokens,
    maxReplyFor: (role) => settings[role].maxReplyTokens,
    withTier: (role, work) => semaphores[role].runExclusive(work),
  };
}
