// What the workspace looks like on disk, as one digest: every path with its size, mtime and mode. Two equal
// digests mean nothing was written in between (a change that keeps size and mtime is not seen, as make would not).
// Git's data and dependency installs are left out: they are large, and verification reads them read-only.
import { createHash } from "node:crypto";
import { lstat, readdir } from "node:fs/promises";
import path from "node:path";

const SKIPPED = new Set([".git", "node_modules", ".venv", "venv", "__pycache__"]);

export async function workspaceFingerprint(root: string): Promise<string> {
  const hash = createHash("sha256");
  async function walk(dir: string): Promise<void> {
    const entries = (await readdir(dir, { withFileTypes: true }).catch(() => [])).sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
    for (const entry of entries) {
      if (entry.isDirectory() && SKIPPED.has(entry.name)) continue;
      const full = path.join(dir, entry.name);
      const info = await lstat(full).catch(() => null);
      if (!info) continue;
      hash.update(`${path.relative(root, full)}\0${info.size}\0${info.mtimeMs}\0${info.mode}\n`);
      if (entry.isDirectory()) await walk(full);
    }
  }
  await walk(root);
  return hash.digest("hex");
}
