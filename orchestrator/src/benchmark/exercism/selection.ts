// Pure: which exercises a run takes: named ones, or a seeded sample, or all.
import { TaskInvalid } from "../../errors.ts";

/** Pure: a deterministic pseudo-random generator (mulberry32), so a sample is the same on every machine. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Pure: `size` of the names, drawn with the seed (Fisher–Yates on a sorted copy), returned in name order. */
export function sampleNames(names: readonly string[], size: number, seed: number): string[] {
  const pool = [...names].sort();
  const random = seededRandom(seed);
  for (let i = pool.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, Math.min(size, pool.length)).sort();
}

export type Selection = { only?: string; sample?: number; seed: number; limit?: number };

/** Pure: the chosen items. `only`: comma-separated names, each must exist; `sample`: a seeded sample of that size. */
export function selectExercises<T extends { name: string }>(all: readonly T[], selection: Selection): T[] {
  let chosen = [...all];
  if (selection.only) {
    const names = selection.only
      .split(",")
      .map((name) => name.trim())
      .filter(Boolean);
    const known = new Set(all.map((item) => item.name));
    const missing = names.filter((name) => !known.has(name));
    if (missing.length > 0)
      throw new TaskInvalid(
        "--only",
        `no exercise named ${missing.join(", ")}`,
        "use the names of directories under exercises/practice",
      );
    const wanted = new Set(names);
    chosen = chosen.filter((item) => wanted.has(item.name));
  }
  if (selection.sample !== undefined) {
    const names = new Set(
      sampleNames(
        chosen.map((item) => item.name),
        selection.sample,
        selection.seed,
      ),
    );
    chosen = chosen.filter((item) => names.has(item.name));
  }
  return selection.limit === undefined ? chosen : chosen.slice(0, selection.limit);
}
