// Pure: workspace-relative paths: what an owned path may be, and the file names a diff header gives mapped onto
// owned paths, or refused.
import { PatchRejected } from "../errors.ts";
import path from "node:path";
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

/** Pure: normalises a workspace-relative path, or explains why it is not one. */
export function normaliseOwnedPath(raw: string): { path: string } | { problem: string } {
  if (raw.includes("\0")) return { problem: "contains a NUL byte" };
  if (path.isAbsolute(raw) || /^[A-Za-z]:[\\/]/.test(raw)) return { problem: "is absolute" };
  const normal = path.posix.normalize(raw.replaceAll("\\", "/"));
  if (normal === "." || normal === "" || normal.endsWith("/")) return { problem: "is not a file path" };
  const segments = normal.split("/");
  if (segments[0] === "..") return { problem: "leaves the workspace" };
  // Case-insensitive: .GIT is the same directory on macOS and Windows file systems.
  if (segments.some((segment) => segment.toLowerCase() === ".git")) return { problem: "is inside .git" };
  return { path: normal };
}
