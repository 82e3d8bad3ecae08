// Hostile model replies, end to end through the real CLI. Each test scripts one attack as the fast-coder's answer
// and a correct answer from deep-coder, then checks: the task still completes at deep, the host is unchanged,
// no process the attack started survives, nothing secret reaches the next prompt or the run store, and the
// orchestrator stays responsive (bounded wall time, a normal exit).
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, lstatSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { git, noneSurvive } from "../helpers.ts";
import {
  CALC,
  DESCRIPTION,
  expectCompletedAtDeep,
  firstFailure,
  hostileCalc,
  hostileOutput,
  newMarker,
  py,
  readStore,
  runWorkspace,
  workspaceLayout,
  releaseResources,
} from "./harness.ts";

afterEach(releaseResources);

describe("hostile verification code in a workspace task: resources and git", () => {
  test("9. memory blow-up: 8 GiB at once, then growing until killed; the task completes at deep", async () => {
    const layout = workspaceLayout();
    const marker = `memhog-${newMarker()}`;
    const hog = [
      "try:",
      "    big = bytearray(8 << 30)",
      "    print('8 GiB allocated', flush=True)",
      "except MemoryError:",
      "    print('MemoryError on 8 GiB', flush=True)",
      "chunks = []",
      "while True:",
      "    chunks.append(bytearray(64 << 20))",
      "",
    ].join("\n");
    const attack = `
import os, sys
os.execv(sys.executable, [sys.executable, "-c", ${py(hog)}, ${py(marker)}])
`;
    // A timeout far above the kill: under cgroup v1 the kernel reclaims for seconds before the OOM kill (6 s
    // measured here), so the default 3 s timeout made the verdict depend on the machine's speed.
    const run = await runWorkspace(layout, [hostileCalc(attack)], { flags: ["--verify-timeout-ms", "60000"] });
    await expectCompletedAtDeep(run, 1);
    // The memory cap stopped it (the OOM killer, or a MemoryError), not the timeout.
    expect((firstFailure(run.result).errors as string[])[0]).toMatch(/failed with exit code \d+/);
    expect(await noneSurvive(marker)).toBe(true);
    expect(Bun.spawnSync(["true"]).exitCode).toBe(0);
  }, 180_000);

  test("10. filling /tmp: the private tmpfs runs out at its size, and the host's /tmp gets nothing", async () => {
    const layout = workspaceLayout();
    const marker = newMarker();
    const attack = `
import os
total, i = 0, 0
block = bytes(1 << 20)
try:
    while True:
        with open(f"/tmp/fill-${marker}-{i}", "wb") as f:
            for _ in range(200):
                f.write(block)
                f.flush()
                total += 1
        i += 1
except OSError as e:
    print("FILLSTOP", total, "MiB", "errno", e.errno, e)
`;
    const run = await runWorkspace(layout, [hostileCalc(attack)]);
    await expectCompletedAtDeep(run, 1);
    const stop = /^FILLSTOP (\d+) MiB errno (\d+)/m.exec(hostileOutput(layout.db));
    expect(stop).not.toBeNull();
    expect(Number(stop![2])).toBe(28); // ENOSPC: the tmpfs was full
    expect(Number(stop![1])).toBeLessThanOrEqual(512);
    for (const dir of new Set([tmpdir(), "/tmp"]))
      expect(readdirSync(dir).filter((name) => name.includes(marker))).toEqual([]);
  }, 180_000);

  test("11. megabytes of output: the stored output, the next prompt and the events stay bounded", async () => {
    const layout = workspaceLayout();
    const attack = `
import sys
chunk = ("x" * 1023 + "\\n") * 1024
for _ in range(45):
    sys.stdout.write(chunk)
sys.stdout.write("y" * (5 << 20))
sys.stdout.write("\\nFLOOD END\\n")
sys.stdout.flush()
`;
    const run = await runWorkspace(layout, [hostileCalc(attack)]);
    await expectCompletedAtDeep(run, 1);
    const output = hostileOutput(layout.db);
    expect(output.length).toBeGreaterThan(512 * 1024); // the flood happened, and its tail was kept
    expect(Buffer.byteLength(output)).toBeLessThan(2 * 1024 * 1024);
    expect(JSON.stringify(run.fake.requestsFor("deep-coder")[0]!.body).length).toBeLessThan(256 * 1024);
    expect(run.result.stdout.length).toBeLessThan(2 * 1024 * 1024);
    expect(readStore(layout.db).text.length).toBeLessThan(8 * 1024 * 1024);
  }, 180_000);

  test("15. a planted git hook and config: .git stays read-only, --commit runs nothing it planted", async () => {
    const layout = workspaceLayout();
    const marker = newMarker();
    const ran = path.join(layout.outside, `hook-ran-${marker}`);
    const configBefore = readFileSync(path.join(layout.ws, ".git", "config"));
    const hook = `#!/bin/sh\ntouch ${ran}\n`;
    const attack = `
import os, subprocess

def attempt(what, action):
    try:
        action()
        print("GITWROTE", what)
    except OSError as e:
        print("GITFAIL", what, type(e).__name__, e)
def write(target, text, mode="w"):
    with open(target, mode) as f:
        f.write(text)
    os.chmod(target, 0o755)
attempt("pre-commit", lambda: write(".git/hooks/pre-commit", ${py(hook)}))
attempt("post-commit", lambda: write(".git/hooks/post-commit", ${py(hook)}))
attempt("config", lambda: write(".git/config", "[core]\\n\\tfsmonitor = ${path.join(layout.ws, "fsmonitor.sh")}\\n\\thooksPath = ${path.join(layout.ws, "hooks")}\\n", "a"))
attempt("workspace hooks", lambda: (os.makedirs("hooks", exist_ok=True), write("hooks/pre-commit", ${py(hook)}), write("fsmonitor.sh", ${py(hook)})))
attempt("rename .git", lambda: os.rename(".git", ".git-old"))
print("GIT CONFIG", subprocess.run(["git", "config", "core.hooksPath", ${py(path.join(layout.ws, "hooks"))}], capture_output=True, text=True).returncode)
`;
    const run = await runWorkspace(layout, [hostileCalc(attack)], { flags: ["--commit"] });
    await expectCompletedAtDeep(run, 1);
    const output = hostileOutput(layout.db);
    expect(output).toContain("GITFAIL pre-commit");
    expect(output).toContain("GITFAIL config");
    expect(existsSync(path.join(layout.ws, ".git", "hooks", "pre-commit"))).toBe(false);
    expect(existsSync(path.join(layout.ws, ".git", "hooks", "post-commit"))).toBe(false);
    expect(readFileSync(path.join(layout.ws, ".git", "config")).equals(configBefore)).toBe(true);
    expect(lstatSync(path.join(layout.ws, ".git")).isDirectory()).toBe(true);
    expect(existsSync(path.join(layout.ws, ".git-old"))).toBe(false);
    // The commit happened, with the owned file only, and nothing planted ran.
    expect(run.result.events.at(-1)?.commit).toMatch(/^[0-9a-f]{7,}$/);
    expect(git(layout.ws, "log", "-1", "--format=%s").trim()).toBe(DESCRIPTION);
    expect(git(layout.ws, "show", "--name-only", "--format=", "HEAD").trim()).toBe(CALC);
    expect(existsSync(ran)).toBe(false);
  }, 180_000);
});
