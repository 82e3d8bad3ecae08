// Argument parsers and the flags' layer of the config: what commander hands the commands.
import { InvalidArgumentError } from "commander";
import { buildConfig, configFromEnv, type Config } from "../config/config.ts";
import { readConfigFile } from "../config/file.ts";
import { BACKEND_CHOICES, type BackendChoice } from "../stack/stack.ts";
import { TIERS, type Tier } from "../types.ts";

/** Flags that become config, shared by `run` and `bench humaneval`. */
export type ConfigFlags = {
  config?: string;
  db?: string;
  maxAttempts?: number;
  escalateAfter?: number;
  timeoutMs?: number;
  verifyTimeoutMs?: number;
  maxPatchLines?: number;
  spec?: boolean;
  checkpoints?: boolean;
  reuseSpec?: boolean;
  checkpointInterval?: number;
  unsafeNoSandbox?: boolean;
  /** serve --queue: sqlite or a Redis URL (daemon.queue). */
  queue?: string;
};

export function positiveInt(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new InvalidArgumentError("expected a whole number of at least 1");
  return number;
}

export function integer(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || value.trim() === "")
    throw new InvalidArgumentError("expected a whole number, e.g. 5 or -1");
  return number;
}

export function wholeNumber(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0) throw new InvalidArgumentError("expected a whole number (0 or more)");
  return number;
}

/** Pure: the flags' part of the config. */
export function configFromFlags(flags: ConfigFlags): Record<string, unknown> {
  const layer: Record<string, Record<string, unknown> | string> = {
    policy: {},
    endpoint: {},
    verify: {},
    patch: {},
    guidance: {},
  };
  const set = (section: string, key: string, value: unknown) => {
    if (value !== undefined) (layer[section] as Record<string, unknown>)[key] = value;
  };
  set("policy", "maxAttempts", flags.maxAttempts);
  set("policy", "failuresBeforeEscalation", flags.escalateAfter);
  set("endpoint", "timeoutMs", flags.timeoutMs);
  set("verify", "timeoutMs", flags.verifyTimeoutMs);
  set("patch", "maxChangedLines", flags.maxPatchLines);
  // Commander sets negatable flags to true by default: only an explicit --no-* changes the config.
  if (flags.spec === false) set("guidance", "spec", false);
  if (flags.checkpoints === false) set("guidance", "checkpoints", false);
  if (flags.reuseSpec) set("guidance", "reuseSpec", true);
  set("guidance", "checkpointInterval", flags.checkpointInterval);
  if (flags.db) layer.db = flags.db;
  if (flags.unsafeNoSandbox) layer.sandbox = { enabled: false };
  if (flags.queue) layer.daemon = { queue: flags.queue };
  return layer;
}

export function loadConfig(flags: ConfigFlags): Config {
  const file = flags.config ?? process.env.SMOL_CODER_CONFIG;
  return buildConfig([file ? readConfigFile(file) : {}, configFromEnv(process.env), configFromFlags(flags)]);
}

export function portNumber(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1 || number > 65_535)
    throw new InvalidArgumentError("expected a TCP port (1-65535)");
  return number;
}

export function backendChoice(value: string): BackendChoice {
  if (!(BACKEND_CHOICES as readonly string[]).includes(value))
    throw new InvalidArgumentError(`expected one of ${BACKEND_CHOICES.join(", ")}`);
  return value as BackendChoice;
}

/** "fast,deep": the tiers whose models the benchmark also asks directly. */
export function tierList(value: string): Tier[] {
  const tiers = value
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean);
  const bad = tiers.find((tier) => !(TIERS as readonly string[]).includes(tier));
  if (bad !== undefined || tiers.length === 0)
    throw new InvalidArgumentError(`expected tiers from ${TIERS.join(", ")}, comma-separated`);
  return [...new Set(tiers)] as Tier[];
}

/** One tier, e.g. for --start-tier. */
export function tierChoice(value: string): Tier {
  if (!(TIERS as readonly string[]).includes(value))
    throw new InvalidArgumentError(`expected one of ${TIERS.join(", ")}`);
  return value as Tier;
}

/** An Exercism track: python or typescript. */
export function trackChoice(value: string): "python" | "typescript" {
  if (value !== "python" && value !== "typescript") throw new InvalidArgumentError("expected python or typescript");
  return value;
}
