// A bounded worker pool: `concurrency` workers take items in order until the list or the signal ends.
// Every benchmark's problems, and every baseline's questions, go through this one loop.

/** Runs `work` on each item, at most `concurrency` at once; stops taking items once `signal` is aborted. */
export async function runPool<T>(
  items: readonly T[],
  options: { concurrency: number; signal?: AbortSignal },
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length && !options.signal?.aborted) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, items.length)) }, worker));
}

/** Pure: one item from each list in turn, so every tier's server has work from the start rather than one after another. */
export function interleave<T>(lists: T[][]): T[] {
  const longest = Math.max(0, ...lists.map((list) => list.length));
  return Array.from({ length: longest }, (_, i) => lists.flatMap((list) => (i < list.length ? [list[i]!] : []))).flat();
}
