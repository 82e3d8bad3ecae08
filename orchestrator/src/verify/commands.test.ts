import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { runJailedCommand, verificationEnv, verify } from "./commands.ts";
import { buildConfig } from "../config/config.ts";
import { openSandbox } from "../sandbox/sandbox.ts";
import { heartbeatAlive, heartbeatCommand, testSandbox } from "../../test/helpers.ts";

const dir = mkdtempSync(path.join(tmpdir(), "smol-verify-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
// The ordering and error tests write a log outside the workspace, which only an unjailed command may do.
const unsafeSandbox = await openSandbox(buildConfig([{}]).sandbox, { unsafe: true });

/**
 * A view of the test workspace whose upper layer the test can watch: a file the jailed command writes at `inJail`
 * shows on the host at `seen` (only there: the real workspace never gets it).
 */
async function watchedView(name: string) {
  const view = await (await testSandbox()).view(dir, []);
  return {
    ...view,
    inJail: path.join(dir, name),
    seen: path.join(view.dirs.upper, name),
    [Symbol.asyncDispose]: () => view.dispose(),
  };
}

describe("verificationEnv", () => {
  const input = {
    PATH: "/usr/bin:/bin",
    HOME: "/home/dev",
    LANG: "C.UTF-8",
    OPENAI_API_KEY: "sk-1",
    ANTHROPIC_API_KEY: "sk-ant-1",
    LITELLM_MASTER_KEY: "sk-master",
    GITHUB_TOKEN: "ghp_1",
    AWS_SECRET_ACCESS_KEY: "aws",
    MY_PASSWORD: "hunter2",
    DB_PASSWD: "p",
    GOOGLE_APPLICATION_CREDENTIALS: "/x.json",
    LITELLM_URL: "http://proxy:4000/v1",
    SMOL_CODER_CONFIG: "/etc/smol.json",
    UNSET: undefined,
  };
  const out = verificationEnv(input);

  test("drops secrets and our own settings", () => {
    for (const name of Object.keys(input).filter((n) => !["PATH", "HOME", "LANG"].includes(n)))
      expect(out).not.toHaveProperty(name);
  });

  test("keeps ordinary variables and sets CI", () => {
    expect(out).toEqual({
      PATH: "/usr/bin:/bin",
      HOME: "/home/dev",
      LANG: "C.UTF-8",
      CI: "true",
      NO_COLOR: "1",
      FORCE_COLOR: "0",
    });
  });

  test("a CI value from the environment is overridden", () => {
    expect(verificationEnv({ CI: "false" }).CI).toBe("true");
  });
});

describe("runJailedCommand (in the real sandbox)", () => {
  test("reports exit codes and output", async () => {
    const sandbox = await testSandbox();
    const result = await runJailedCommand("echo out; echo err >&2; exit 3", { cwd: dir, timeoutMs: 5000, sandbox });
    expect(result.exitCode).toBe(3);
    expect(result.timedOut).toBe(false);
    expect(result.output).toContain("out\n");
    expect(result.output).toContain("err\n");
    expect((await runJailedCommand("true", { cwd: dir, timeoutMs: 5000, sandbox })).exitCode).toBe(0);
  });

  test("runs in the workspace with an allow-listed environment: no secrets, HOME in the private /tmp", async () => {
    process.env.SMOL_VERIFY_TEST_API_KEY = "sk-leak-verifier-test";
    try {
      const result = await runJailedCommand('pwd; echo "key=${SMOL_VERIFY_TEST_API_KEY:-none} ci=$CI home=$HOME"', {
        cwd: dir,
        timeoutMs: 5000,
        sandbox: await testSandbox(),
      });
      expect(result.output).toContain(`${dir}\n`);
      expect(result.output).toContain("key=none ci=true home=/tmp");
    } finally {
      delete process.env.SMOL_VERIFY_TEST_API_KEY;
    }
  });

  test("a timeout kills everything the command started", async () => {
    await using view = await watchedView("timeout.beat");
    const result = await runJailedCommand(`${heartbeatCommand(view.inJail)} sleep 30`, {
      cwd: dir,
      timeoutMs: 500,
      sandbox: await testSandbox(),
      view,
    });
    const beat = view.seen;
    expect(result.timedOut).toBe(true);
    expect(result.exitCode).toBeNull();
    expect(await heartbeatAlive(beat)).toBe(false);
  });

  test("a command that exits 0 leaving a background process (setsid, double fork) returns, and the process dies", async () => {
    await using view = await watchedView("background.beat");
    const result = await runJailedCommand(`setsid sh -c '${heartbeatCommand(view.inJail)}' & sleep 0.2; echo done`, {
      cwd: dir,
      timeoutMs: 20_000,
      sandbox: await testSandbox(),
      view,
    });
    const beat = view.seen;
    expect(result.exitCode).toBe(0);
    expect(result.output).toContain("done");
    expect(await heartbeatAlive(beat)).toBe(false);
  });

  test("aborting the signal kills everything the command started", async () => {
    await using view = await watchedView("abort.beat");
    const beat = view.seen;
    const controller = new AbortController();
    const running = runJailedCommand(`${heartbeatCommand(view.inJail)} sleep 30`, {
      cwd: dir,
      timeoutMs: 20_000,
      sandbox: await testSandbox(),
      signal: controller.signal,
      view,
    });
    while (!(await Bun.file(beat).exists())) await Bun.sleep(20);
    controller.abort();
    const result = await running;
    expect(result.exitCode).not.toBe(0);
    expect(await heartbeatAlive(beat)).toBe(false);
  });

  test("unsafe mode (--unsafe-no-sandbox) still kills the process group on timeout", async () => {
    const unsafe = await openSandbox(buildConfig([{}]).sandbox, { unsafe: true });
    expect(unsafe.enabled).toBe(false);
    const result = await runJailedCommand("sleep 30", { cwd: dir, timeoutMs: 300, sandbox: unsafe });
    expect(result.timedOut).toBe(true);
  });
});

describe("verify", () => {
  const options = { cwd: dir, timeoutMs: 5000, maxErrors: 10, maxErrorChars: 400, sandbox: unsafeSandbox };

  test("all commands pass", async () => {
    const result = await verify({ ...options, commands: ["true", "echo ok"] });
    expect(result.passed).toBe(true);
    expect(result.results.map((r) => r.exitCode)).toEqual([0, 0]);
  });

  test("runs in order in one view of the workspace, stops at the first failure, returns errors; the workspace is as before", async () => {
    const log = path.join(dir, "order.log");
    writeFileSync(log, "");
    const result = await verify({
      ...options,
      commands: [
        `echo one >> ${log}`,
        `cat ${log}; echo two >> ${log}; echo "src/a.ts(3,5): error TS2304: Cannot find name 'x'."; exit 2`,
        `echo three >> ${log}`,
      ],
    });
    expect(result.passed).toBe(false);
    if (result.passed) return;
    expect(result.results).toHaveLength(2);
    // The second command saw the first one's write (a build's output reaches the tests) ...
    expect(result.results[1]!.output).toStartWith("one\n");
    // ... and none of it reached the real workspace.
    expect(readFileSync(log, "utf8")).toBe("");
    expect(result.failed.exitCode).toBe(2);
    expect(result.errors).toEqual([
      expect.stringContaining("failed with exit code 2"),
      "src/a.ts:3:5 error TS2304: Cannot find name 'x'.",
    ]);
  });

  test("a timed-out command fails verification with a timeout headline", async () => {
    const result = await verify({ ...options, timeoutMs: 200, commands: ["sleep 10"] });
    expect(result.passed).toBe(false);
    if (result.passed) return;
    expect(result.failed.timedOut).toBe(true);
    expect(result.errors[0]).toBe("`sleep 10` timed out and was killed");
  });
});
