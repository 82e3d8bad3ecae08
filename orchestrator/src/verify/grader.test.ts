import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { GraderUnavailable } from "../errors.ts";
import { startGrader, type Grader } from "./grader.ts";
import { createHumanEvalWorkspace } from "../task/humaneval.ts";
import { problem } from "./__fixtures__/grader/problems.ts";
import { alive, noneSurvive, processesWith, testSandbox } from "../../test/helpers.ts";

// The grader server itself: real python, real pytest, the jailed candidate.
describe("the grader server", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "smol-grader-test-"));
  let grader: Grader;
  let caseNumber = 0;
  const first = () => problem("HumanEval/0");
  const canonical = () => first().prompt + first().canonicalSolution;
  const request = (ws: { root: string; testFile: string }, timeoutMs = 5000) => ({
    workspace: ws.root,
    testFile: ws.testFile,
    expectedTests: 1,
    timeoutMs,
  });

  async function workspace(solution: string, taskId = "HumanEval/0") {
    const ws = await createHumanEvalWorkspace(problem(taskId), path.join(dir, String(caseNumber++)));
    writeFileSync(path.join(ws.root, "solution.py"), solution);
    return ws;
  }

  beforeAll(async () => {
    grader = await startGrader({ sandbox: await testSandbox(), concurrency: 2 });
  });
  afterAll(async () => {
    await grader.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("the canonical solution passes; the bare prompt fails with the assertion", async () => {
    const [good, bare] = await Promise.all([
      grader.grade(request(await workspace(canonical()))),
      grader.grade(request(await workspace(first().prompt))),
    ]);
    expect(good).toMatchObject({ passed: true, status: "passed" });
    expect(bare).toMatchObject({ passed: false, status: "failed" });
    expect(bare.failures).toContain("E assert None == True");
  });

  test("a wrong body shows the values; an exception shows its type and the candidate's line", async () => {
    // The first assertion of the problem's own test, read from the shared dataset (never copied here).
    const firstAssert = first()
      .test.split("\n")
      .find((line) => line.trim().startsWith("assert candidate("))!
      .trim();
    const args = /^assert candidate\((.*)\) == True$/.exec(firstAssert)![1];
    const wrong = await grader.grade(request(await workspace(`${first().prompt}    return False\n`)));
    expect(wrong.failures).toContain(`E + where False = <function has_close_elements>(${args})`);
    const raised = await grader.grade(
      request(await workspace(`${first().prompt}    return numbers[10] > threshold\n`)),
    );
    expect(raised.failures).toEqual([
      `test_humaneval.py:13: ${firstAssert}`,
      "E IndexError: list index out of range (at solution.py:12 in has_close_elements: return numbers[10] > threshold)",
    ]);
  });

  test("a hang times out while a concurrent good request passes", async () => {
    const order: string[] = [];
    // The hang sleeps rather than spins, and its timeout is far beyond any grading: the order cannot depend on load.
    const hang = grader
      .grade(request(await workspace(`${first().prompt}    import time\n    time.sleep(3600)\n`), 8000))
      .finally(() => order.push("hang"));
    const good = grader.grade(request(await workspace(canonical()))).finally(() => order.push("good"));
    expect(await good).toMatchObject({ passed: true });
    expect(await hang).toMatchObject({ passed: false, status: "timeout", failures: ["timed out after 8000 ms"] });
    expect(order).toEqual(["good", "hang"]);
  }, 30_000);

  test("os._exit(0) at import or in the function, printing '1 passed' then sys.exit(0), and a segfault all fail", async () => {
    const osExit = grader.grade(request(await workspace(`import os\nos._exit(0)\n${canonical()}`)));
    const osExitInCall = grader.grade(request(await workspace(`${first().prompt}    import os\n    os._exit(0)\n`)));
    const sysExit = grader.grade(
      request(await workspace(`import sys\nprint("1 passed")\nsys.exit(0)\n${canonical()}`)),
    );
    const segfault = grader.grade(request(await workspace(`import ctypes\nctypes.string_at(0)\n${canonical()}`)));
    const gone = "the solution's process exited with code 0 before answering (os._exit, a crash, or over a limit?)";
    expect(await osExit).toMatchObject({
      passed: false,
      status: "error",
      failures: ["the tests could not run:", `CandidateGone: ${gone}`],
    });
    expect(await osExitInCall).toMatchObject({
      passed: false,
      status: "failed",
      failures: [expect.stringContaining("test_humaneval.py:13"), `E proxy.CandidateGone: ${gone}`],
    });
    expect(await sysExit).toMatchObject({
      passed: false,
      status: "error",
      output: "1 passed\n",
      failures: ["the tests could not run:", "solution.py:3: sys.exit(0)", "SystemExit: 0"],
    });
    expect(await segfault).toMatchObject({
      passed: false,
      status: "error",
      failures: ["the tests could not run:", expect.stringContaining("killed by SIGSEGV")],
    });
  });

  test("results come back as plain data: an object whose __eq__ always says True fails", async () => {
    const liar = await grader.grade(
      request(
        await workspace(
          `${first().prompt}    class Yes:\n        def __eq__(self, other):\n            return True\n    return Yes()\n`,
        ),
      ),
    );
    expect(liar).toMatchObject({ passed: false, status: "failed" });
    expect(liar.failures.at(-1)).toBe(
      "E proxy.CandidateError: NotPlainData: a Yes object cannot be passed between the test and the sandboxed solution",
    );
  });

  test("a memory blow-up fails and the server lives on", async () => {
    const pid = grader.stats().serverPid;
    const blowUp = await grader.grade(request(await workspace(`x = bytearray(8 << 30)\n${canonical()}`)));
    expect(blowUp).toMatchObject({ passed: false, status: "error" });
    expect(blowUp.failures).toContain("MemoryError");
    expect(await grader.grade(request(await workspace(canonical())))).toMatchObject({ passed: true });
    expect(grader.stats()).toMatchObject({ serverPid: pid, starts: 1 });
  });

  test("a background process the candidate leaves running (even setsid) is killed", async () => {
    const marker = `61.${process.pid}1`;
    const spawn = `import subprocess\nsubprocess.Popen(["sleep", "${marker}"], start_new_session=True)\n`;
    expect(await grader.grade(request(await workspace(spawn + canonical())))).toMatchObject({ passed: true });
    expect(await noneSurvive(marker)).toBe(true);
  });

  test("at most `concurrency` requests run; the rest wait in the queue", async () => {
    const all = await Promise.all(Array.from({ length: 5 }, () => workspace(canonical())));
    const grades = all.map((ws) => grader.grade(request(ws)));
    expect(grader.stats()).toMatchObject({ running: 2, queued: 3 });
    expect((await Promise.all(grades)).every((grade) => grade.passed)).toBe(true);
    expect(grader.stats()).toMatchObject({ running: 0, queued: 0 });
  });

  test("aborting a queued or a running request rejects it at once and frees its slot", async () => {
    await using single = await startGrader({ sandbox: await testSandbox(), concurrency: 1 });
    const marker = `62.${process.pid}2`;
    const hangWs = await workspace(
      `import subprocess\nsubprocess.Popen(["sleep", "${marker}"])\n${first().prompt}    while True:\n        pass\n`,
    );
    const running = new AbortController();
    const queued = new AbortController();
    // Its own timeout is 10 minutes: were the slot held until then, the grade below would never come back in the test's time.
    const hang = single.grade({ ...request(hangWs, 600_000), signal: running.signal });
    const waiting = single.grade({ ...request(await workspace(canonical())), signal: queued.signal });
    queued.abort();
    await expect(waiting).rejects.toMatchObject({ name: "AbortError" });
    expect(single.stats()).toMatchObject({ running: 1, queued: 0 });
    while (processesWith(marker).length === 0) await Bun.sleep(20);
    running.abort();
    await expect(hang).rejects.toMatchObject({ name: "AbortError" });
    expect(await single.grade(request(await workspace(canonical())))).toMatchObject({ passed: true });
    expect(await noneSurvive(marker)).toBe(true);
  });

  test("a candidate cannot signal the server: its PID namespace holds only itself", async () => {
    const pid = grader.stats().serverPid;
    const killer = `import os, signal\nfor target in range(1, 4096):\n    if target != os.getpid():\n        try:\n            os.kill(target, signal.SIGKILL)\n        except OSError:\n            pass\n${canonical()}`;
    expect(await grader.grade(request(await workspace(killer)))).toMatchObject({ passed: true });
    expect(grader.stats()).toMatchObject({ serverPid: pid, starts: 1 });
  });

  test("a server that dies: in-flight requests fail with GraderUnavailable, the next call restarts it", async () => {
    await using own = await startGrader({ sandbox: await testSandbox(), concurrency: 2 });
    const firstPid = own.stats().serverPid!;
    const marker = `63.${process.pid}3`;
    const hang = own.grade(
      request(
        await workspace(
          `import subprocess\nsubprocess.Popen(["sleep", "${marker}"])\n${first().prompt}    while True:\n        pass\n`,
        ),
        8000,
      ),
    );
    while (processesWith(marker).length === 0) await Bun.sleep(20);
    process.kill(firstPid, "SIGKILL");
    await expect(hang).rejects.toBeInstanceOf(GraderUnavailable);
    expect(await noneSurvive(marker)).toBe(true); // it died with its server instead of running on unwatched
    expect(await own.grade(request(await workspace(canonical())))).toMatchObject({ passed: true });
    expect(own.stats().starts).toBe(2);
    expect(own.stats().serverPid).not.toBe(firstPid);
  });

  test("close() waits for the server to exit and removes its directory; later calls are refused", async () => {
    const closing = await startGrader({ sandbox: await testSandbox() });
    const pid = closing.stats().serverPid!;
    const rootDir = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")[2]!;
    expect(existsSync(rootDir)).toBe(true);
    await closing.close();
    expect(alive(pid)).toBe(false);
    expect(existsSync(rootDir)).toBe(false);
    await expect(closing.grade(request(await workspace(canonical())))).rejects.toBeInstanceOf(GraderUnavailable);
  });
});

describe("start-up failures", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "smol-grader-start-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("a missing python is GraderUnavailable with the fix", async () => {
    const start = startGrader({ sandbox: await testSandbox(), python: path.join(dir, "no-such-python") });
    await expect(start).rejects.toBeInstanceOf(GraderUnavailable);
    await expect(start).rejects.toMatchObject({ fix: expect.stringContaining("SMOL_CODER_PYTHON") });
  });

  test("a python without pytest is GraderUnavailable naming pytest", async () => {
    const python = path.join(dir, "python-without-site-packages");
    writeFileSync(python, '#!/bin/sh\nexec python3 -S "$@"\n'); // -S: no site-packages, so no pytest
    chmodSync(python, 0o755);
    await expect(startGrader({ sandbox: await testSandbox(), python })).rejects.toMatchObject({
      name: "GraderUnavailable",
      reason: `pytest is not importable by ${python}`,
    });
  });
});
