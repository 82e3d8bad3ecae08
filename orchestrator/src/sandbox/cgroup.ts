// Per-sandbox cgroups: a cap on processes (pids) and on memory for everything one verification starts.
// RLIMIT_NPROC does not bind root, so this is what stops a fork bomb when smol-coder runs as root (CI, containers).
// Works with cgroup v1 (separate pids and memory hierarchies) and v2 (one unified hierarchy).
import { mkdir, readFile, rmdir, writeFile } from "node:fs/promises";
import path from "node:path";

export type CgroupLimits = { processes: number; memoryMb: number };
/** The cgroup directories of one sandbox; the launcher writes its pid into each `cgroup.procs`. */
export type LimitGroup = { procs: string[]; dispose(): Promise<void> };
/** Where new groups are made: one parent per controller (v1) or one for both (v2). */
export type CgroupRoots = { version: 1 | 2; pids: string; memory: string };

const PARENT = "smol-coder";
let counter = 0;

/** Pure: the pids and memory hierarchies from /proc/self/mounts text. */
export function parseCgroupMounts(mounts: string): { v1pids?: string; v1memory?: string; v2?: string } {
  const out: { v1pids?: string; v1memory?: string; v2?: string } = {};
  for (const line of mounts.split("\n")) {
    const [, mountPoint, type, options] = line.split(" ");
    if (!mountPoint || !options) continue;
    if (type === "cgroup2") out.v2 ??= mountPoint;
    if (type !== "cgroup") continue;
    const flags = options.split(",");
    if (flags.includes("pids")) out.v1pids ??= mountPoint;
    if (flags.includes("memory")) out.v1memory ??= mountPoint;
  }
  return out;
}

/** Finds writable hierarchies with both controllers and prepares smol-coder's parent group; null if none. */
export async function findCgroupRoots(): Promise<CgroupRoots | null> {
  const mounts = parseCgroupMounts(await readFile("/proc/self/mounts", "utf8").catch(() => ""));
  try {
    if (mounts.v1pids && mounts.v1memory) {
      const pids = path.join(mounts.v1pids, PARENT);
      const memory = path.join(mounts.v1memory, PARENT);
      await mkdir(pids, { recursive: true });
      await mkdir(memory, { recursive: true });
      return { version: 1, pids, memory };
    }
    if (mounts.v2) {
      const controllers = await readFile(path.join(mounts.v2, "cgroup.controllers"), "utf8");
      if (!/\bpids\b/.test(controllers) || !/\bmemory\b/.test(controllers)) return null;
      const parent = path.join(mounts.v2, PARENT);
      await mkdir(parent, { recursive: true });
      await writeFile(path.join(parent, "cgroup.subtree_control"), "+pids +memory");
      return { version: 2, pids: parent, memory: parent };
    }
  } catch {
    // Read-only or not delegated to us: the caller falls back to rlimits or refuses.
  }
  return null;
}

/** Creates one group (or a pair, v1) with the limits set; `name` is this process's next unless given (tests). */
export async function createLimitGroup(
  roots: CgroupRoots,
  limits: CgroupLimits,
  name = `${process.pid}-${++counter}`,
): Promise<LimitGroup> {
  const memoryBytes = String(limits.memoryMb * 1024 * 1024);
  const dirs =
    roots.version === 1 ? [path.join(roots.pids, name), path.join(roots.memory, name)] : [path.join(roots.pids, name)];
  for (const dir of dirs) {
    // This process never reuses a name, so one that exists is a dead process's with the same pid (pids are reused):
    // a group left behind when that process was killed. Whatever is inside is its orphan; it is cleared and made anew.
    await mkdir(dir).catch(async (error: NodeJS.ErrnoException) => {
      if (error.code !== "EEXIST") throw error;
      await removeGroups([dir]);
      await mkdir(dir);
    });
  }
  if (roots.version === 1) {
    await writeFile(path.join(dirs[0]!, "pids.max"), String(limits.processes));
    await writeFile(path.join(dirs[1]!, "memory.limit_in_bytes"), memoryBytes);
  } else {
    await writeFile(path.join(dirs[0]!, "pids.max"), String(limits.processes));
    await writeFile(path.join(dirs[0]!, "memory.max"), memoryBytes);
    await writeFile(path.join(dirs[0]!, "memory.swap.max"), "0").catch(() => undefined);
  }
  return { procs: dirs.map((dir) => path.join(dir, "cgroup.procs")), dispose: () => removeGroups(dirs) };
}

/** Kills whatever is still inside and removes the groups. Never throws: cleanup must not fail a verification. */
async function removeGroups(dirs: string[]): Promise<void> {
  for (const dir of dirs) {
    for (let tries = 0; tries < 50; tries++) {
      await writeFile(path.join(dir, "cgroup.kill"), "1").catch(() => undefined);
      const pids = (await readFile(path.join(dir, "cgroup.procs"), "utf8").catch(() => ""))
        .split("\n")
        .filter(Boolean)
        .map(Number);
      for (const pid of pids) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // Already gone.
        }
      }
      if (
        await rmdir(dir).then(
          () => true,
          () => false,
        )
      )
        break;
      await Bun.sleep(20);
    }
  }
}
