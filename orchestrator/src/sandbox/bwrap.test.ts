import { describe, expect, test } from "bun:test";
import { sandboxArgv, viewLauncher, type SandboxSpec } from "./bwrap.ts";

const limits = { memoryMb: 512, processes: 64, fileSizeMb: 16, tmpMb: 64, openFiles: 256 };
const dirs = {
  lower: "/tmp/v/lower",
  upper: "/tmp/v/upper",
  work: "/tmp/v/work",
  empty: "/tmp/v/empty",
  deleted: "/tmp/v/deleted",
};
const spec: SandboxSpec = {
  workspace: "/ws",
  writable: true,
  protect: ["/ws/.git"],
  readOnly: [],
  limits,
  limitAddressSpace: false,
  cgroupProcs: [],
  command: ["make", "test"],
};
const layout = { system: [{ path: "/usr" }], masked: [] };

describe("the bubblewrap command line", () => {
  test("with a view: the overlay launcher runs first, then bwrap binds the merged workspace, masks secrets with an empty file, keeps the user's ids", () => {
    const argv = sandboxArgv(
      {
        ...spec,
        view: {
          dirs,
          masked: [
            { path: "/ws/.env", isDir: false },
            { path: "/ws/.env.d", isDir: true },
          ],
        },
        ids: { uid: 1000, gid: 1000 },
      },
      layout,
      "/usr/bin/bwrap",
    );
    const launcher = viewLauncher("/ws", dirs);
    expect(argv.slice(0, launcher.length)).toEqual(launcher);
    expect(launcher.slice(-5)).toEqual(["/ws", dirs.lower, dirs.upper, dirs.work, dirs.deleted]);
    const bwrap = argv.slice(launcher.length);
    expect(bwrap[0]).toBe("/usr/bin/bwrap");
    expect(bwrap.join(" ")).toContain("--uid 1000 --gid 1000");
    expect(bwrap.join(" ")).toContain(
      "--bind /ws /ws --ro-bind /ws/.git /ws/.git --ro-bind /tmp/v/empty /ws/.env --tmpfs /ws/.env.d --chdir /ws",
    );
    expect(bwrap.slice(-2)).toEqual(["make", "test"]);
  });

  test("without a view (a read-only workspace: the HumanEval candidate) bwrap runs directly", () => {
    const argv = sandboxArgv({ ...spec, writable: false, protect: [] }, layout, "/usr/bin/bwrap");
    expect(argv[0]).toBe("/usr/bin/bwrap");
    expect(argv.join(" ")).toContain("--ro-bind /ws /ws --chdir /ws");
    expect(argv).not.toContain("--uid");
  });

  test("the cgroup join wraps the launcher, so the overlay's processes are capped too", () => {
    const argv = sandboxArgv(
      { ...spec, cgroupProcs: ["/sys/fs/cgroup/x/cgroup.procs"], view: { dirs, masked: [] }, ids: { uid: 0, gid: 0 } },
      layout,
      "/usr/bin/bwrap",
    );
    expect(argv.slice(0, 2)).toEqual(["/bin/sh", "-c"]);
    expect(argv.indexOf("unshare")).toBeGreaterThan(argv.indexOf("/sys/fs/cgroup/x/cgroup.procs"));
  });
});
