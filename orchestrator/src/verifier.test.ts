import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { runCommand, verificationEnv, verify } from "./verifier.ts";
import { alive } from "../test/helpers.ts";

const dir = mkdtempSync(path.join(tmpdir(), "smol-verify-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const env = verificationEnv(process.env);


async function readPid(file: string): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const text = await Bun.file(file).text().catch(() => "");
    if (/^\d+\s*$/.test(text)) return Number(text);
    await Bun.sleep(10);
  }
  throw new Error(`no pid in ${file}`);
}

async function gone(pid: number, withinMs = 1000): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    if (!alive(pid)) return true;
    await Bun.sleep(20);
  }
  return !alive(pid);
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
    for (const name of Object.keys(input).filter((n) => !["PATH", "HOME", "LANG"].includes(n))) expect(out).not.toHaveProperty(name);
  });

  test("keeps ordinary variables and sets CI", () => {
    expect(out).toEqual({ PATH: "/usr/bin:/bin", HOME: "/home/dev", LANG: "C.UTF-8", CI: "true", NO_COLOR: "1", FORCE_COLOR: "0" });
  });

  test("a CI value from the environment is overridden", () => {
    expect(verificationEnv({ CI: "false" }).CI).toBe("true");
  });
});

describe("runCommand", () => {
  test("reports exit codes and output", async () => {
    const result = await runCommand("echo out; echo err >&2; exit 3", { cwd: dir, timeoutMs: 5000, env });
    expect(result.exitCode).toBe(3);
    expect(result.timedOut).toBe(false);
    expect(result.output).toContain("out\n");
    expect(result.output).toContain("err\n");
    expect((await runCommand("true", { cwd: dir, timeoutMs: 5000, env })).exitCode).toBe(0);
  });

  test("runs in cwd with the given environment", async () => {
    const result = await runCommand('pwd; echo "key=${OPENAI_API_KEY:-none} ci=$CI"', { cwd: dir, timeoutMs: 5000, env: verificationEnv({ ...process.env, OPENAI_API_KEY: "sk-leak" }) });
    expect(result.output).toContain(`${path.basename(dir)}\n`);
    expect(result.output).toContain("key=none ci=true");
  });

  test("a timeout kills the whole process group and returns quickly", async () => {
    const pidfile = path.join(dir, "timeout.pid");
    const started = performance.now();
    const result = await runCommand(`sleep 30 & echo $! > ${pidfile}; sleep 30`, { cwd: dir, timeoutMs: 300, env });
    const elapsed = performance.now() - started;
    expect(result.timedOut).toBe(true);
    expect(result.exitCode).toBeNull();
    expect(elapsed).toBeLessThan(3000);
    const pid = await readPid(pidfile);
    expect(await gone(pid)).toBe(true);
  });

  test("a command that exits 0 leaving a background process returns promptly and the process is killed", async () => {
    const pidfile = path.join(dir, "background.pid");
    const started = performance.now();
    const result = await runCommand(`sleep 30 & echo $! > ${pidfile}; echo done`, { cwd: dir, timeoutMs: 20_000, env });
    expect(performance.now() - started).toBeLessThan(3000);
    expect(result.exitCode).toBe(0);
    expect(result.timedOut).toBe(false);
    expect(result.output).toContain("done");
    expect(await gone(await readPid(pidfile))).toBe(true);
  });

  test("aborting the signal kills the process group", async () => {
    const pidfile = path.join(dir, "abort.pid");
    const controller = new AbortController();
    const running = runCommand(`sleep 30 & echo $! > ${pidfile}; sleep 30`, { cwd: dir, timeoutMs: 20_000, env, signal: controller.signal });
    const pid = await readPid(pidfile);
    const started = performance.now();
    controller.abort();
    const result = await running;
    expect(performance.now() - started).toBeLessThan(3000);
    expect(result.exitCode).not.toBe(0);
    expect(await gone(pid)).toBe(true);
  });
});

describe("verify", () => {
  const options = { cwd: dir, timeoutMs: 5000, maxErrors: 10, maxErrorChars: 400, env };

  test("all commands pass", async () => {
    const result = await verify({ ...options, commands: ["true", "echo ok"] });
    expect(result.passed).toBe(true);
    expect(result.results.map((r) => r.exitCode)).toEqual([0, 0]);
  });

  test("runs in order and stops at the first failure, returning errors", async () => {
    const log = path.join(dir, "order.log");
    writeFileSync(log, "");
    const result = await verify({
      ...options,
      commands: [`echo one >> ${log}`, `echo two >> ${log}; echo "src/a.ts(3,5): error TS2304: Cannot find name 'x'."; exit 2`, `echo three >> ${log}`],
    });
    expect(readFileSync(log, "utf8")).toBe("one\ntwo\n");
    expect(result.passed).toBe(false);
    if (result.passed) return;
    expect(result.results).toHaveLength(2);
    expect(result.failed.exitCode).toBe(2);
    expect(result.errors).toEqual([expect.stringContaining("failed with exit code 2"), "src/a.ts:3:5 error TS2304: Cannot find name 'x'."]);
  });

  test("a timed-out command fails verification with a timeout headline", async () => {
    const result = await verify({ ...options, timeoutMs: 200, commands: ["sleep 10"] });
    expect(result.passed).toBe(false);
    if (result.passed) return;
    expect(result.failed.timedOut).toBe(true);
    expect(result.errors[0]).toBe("`sleep 10` timed out and was killed");
  });
});
