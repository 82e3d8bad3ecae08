import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { createLimitGroup, findCgroupRoots } from "./cgroup.ts";

const roots = await findCgroupRoots();

describe.skipIf(roots === null)("cgroups on this machine", () => {
  test("a group left by a dead process with the same name is cleared and made anew, with the limits", async () => {
    const name = `${process.pid}-stale-test`;
    const dirs =
      roots!.version === 1
        ? [path.join(roots!.pids, name), path.join(roots!.memory, name)]
        : [path.join(roots!.pids, name)];
    for (const dir of dirs) mkdirSync(dir);
    const group = await createLimitGroup(roots!, { processes: 64, memoryMb: 128 }, name);
    expect(readFileSync(path.join(dirs[0]!, "pids.max"), "utf8").trim()).toBe("64");
    await group.dispose();
    for (const dir of dirs) expect(existsSync(dir)).toBe(false);
  });
});
