// Pure: map the file names a diff header gives onto owned paths, or refuse.
import { PatchRejected } from "../errors.ts";
import { normaliseOwnedPath } from "../task/workspace.ts";
import { DEV_NULL } from "./types.ts";

/** Strips timestamps and quotes; keeps /dev/null as is. */
function cleanHeaderName(name: string): string {
  const withoutTime = name.split("\t")[0]!.trim();
  return withoutTime.startsWith('"') && withoutTime.endsWith('"') ? withoutTime.slice(1, -1) : withoutTime;
}

/**
 * Resolves a header file name to an owned path. Git's a/ and b/ prefixes are dropped only when the
 * unprefixed name is owned, so a real directory called "a" still works.
 */
export function resolveHeaderPath(rawName: string, owned: ReadonlySet<string>): string {
  const name = cleanHeaderName(rawName);
  if (name === DEV_NULL) return DEV_NULL;
  const candidates = [name];
  if (/^[ab]\//.test(name)) candidates.push(name.slice(2));
  for (const candidate of candidates) {
    const normal = normaliseOwnedPath(candidate);
    if ("problem" in normal) continue;
    if (owned.has(normal.path)) return normal.path;
  }
  const normal = normaliseOwnedPath(candidates.at(-1)!);
  if ("problem" in normal) throw new PatchRejected(`path ${normal.problem}`, candidates.at(-1));
  throw new PatchRejected("path is not in filesOwned", candidates.at(-1), "not_owned");
}
