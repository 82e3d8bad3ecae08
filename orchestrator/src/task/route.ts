// Pure: routing: the tier a task starts at, from its size and the config's thresholds.
import type { Config } from "../config/config.ts";
import type { Tier } from "../types.ts";

/** Pure: the tier a task starts at. Big tasks skip the fast tier. */
export function startTier(
  task: { description: string; filesOwned: string[]; startTier?: Tier },
  routing: Config["routing"],
): Tier {
  if (task.startTier) return task.startTier;
  const big =
    task.filesOwned.length > routing.deepWhenFilesOver || task.description.length > routing.deepWhenDescriptionOver;
  return big ? "deep" : "fast";
}
