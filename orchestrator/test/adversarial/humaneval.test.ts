// Hostile model replies, end to end through the real CLI. Each test scripts one attack as the fast-coder's answer
// and a correct answer from deep-coder, then checks: the task still completes at deep, the host is unchanged,
// no process the attack started survives, nothing secret reaches the next prompt or the run store, and the
// orchestrator stays responsive (bounded wall time, a normal exit).
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { loadDataset, type Problem } from "../../src/humaneval/dataset.ts";
import { testFileText } from "../../src/task/humaneval.ts";
import { startFakeModel } from "../fakeModel.ts";
import { diffReply, SHARED_DATASET, tempDir } from "../helpers.ts";
import {
  expectCompletedAtDeep,
  hostileOutput,
  newMarker,
  py,
  readStore,
  resources,
  runCliTimed,
  type Run,
  releaseResources,
} from "./harness.ts";

afterEach(releaseResources);

const PROBLEMS = await loadDataset(SHARED_DATASET);
const P0: Problem = PROBLEMS[0]!;
const HUMANEVAL_TASK = JSON.stringify({ kind: "humaneval", problemId: P0.taskId, dataset: SHARED_DATASET });
/** A solution.py: the prompt, a body, and module-level code after it. */
const solution = (body: string, after = "") => diffReply("solution.py", P0.prompt, `${P0.prompt}${body}${after}`);
const HUMANEVAL_RIGHT = solution(P0.canonicalSolution);

type HumanEvalRun = Run & { db: string; ws: string; grader: string };

async function runHumanEval(hostile: string[]): Promise<HumanEvalRun> {
  const db = path.join(resources.track(tempDir("smol-adv-he-")), "runs.db");
  const fake = (resources.fake = startFakeModel({
    replies: { "fast-coder": hostile, "deep-coder": [HUMANEVAL_RIGHT] },
  }));
  const args = ["--db", db, "--escalate-after", String(hostile.length), "--max-attempts", String(hostile.length + 1)];
  const run = await runCliTimed(args, HUMANEVAL_TASK, fake);
  const ws = /workspace (\S+)/.exec(run.result.stderr)?.[1] ?? "";
  // The CLI leaves <tmp>/smol-coder-humaneval-*/HumanEval_0/{workspace,grader}: removed after the test.
  if (ws) resources.track(path.dirname(path.dirname(ws)));
  return { ...run, db, ws, grader: path.join(path.dirname(ws), "grader") };
}

describe("hostile HumanEval candidates", () => {
  test("12. os._exit(0) at import and inside the function: both attempts fail, deep completes", async () => {
    const run = await runHumanEval([
      solution(P0.canonicalSolution, "\nimport os\nos._exit(0)\n"),
      solution("    import os\n    os._exit(0)\n"),
    ]);
    await expectCompletedAtDeep(run, 2);
    const attempts = readStore(run.db).attempts;
    expect(attempts.map((a) => [a.tier, a.outcome])).toEqual([
      ["fast", "verification_failed"],
      ["fast", "verification_failed"],
      ["deep", "passed"],
    ]);
  }, 180_000);

  test("13. forged conftest.py / sitecustomize.py / .pth from the candidate: nothing is written, the wrong answer fails", async () => {
    const marker = newMarker();
    const sitePackages = Bun.spawnSync(["python3", "-c", "import site; print('\\n'.join(site.getsitepackages()))"])
      .stdout.toString()
      .trim()
      .split("\n")
      .filter(Boolean);
    const evil = [
      "import pytest",
      "@pytest.hookimpl(hookwrapper=True)",
      "def pytest_runtest_makereport(item, call):",
      "    outcome = yield",
      "    outcome.get_result().outcome = 'passed'",
      "",
    ].join("\n");
    const relative = [
      "conftest.py",
      "sitecustomize.py",
      "usercustomize.py",
      "../grader/conftest.py",
      "../grader/sitecustomize.py",
      "../grader/test_humaneval.py",
      "../conftest.py",
    ];
    const absolute = sitePackages.flatMap((dir) => [
      path.join(dir, `sitecustomize.py`),
      path.join(dir, `smol_adv_${marker}.pth`),
    ]);
    const attack = `

import os as _os

for _target in ${JSON.stringify([...relative, ...absolute])}:
    try:
        with open(_target, "w") as _f:
            _f.write(${py(evil)} if not _target.endswith(".pth") else "import os; os.system('touch /tmp/pth-ran-${marker}')\\n")
        print("WROTE", _target)
    except OSError as _e:
        print("WRITEFAIL", _target, type(_e).__name__, _e)
`;
    const sitecustomizeBefore = absolute
      .filter((file) => file.endsWith("sitecustomize.py"))
      .map((file) => [file, existsSync(file) ? readFileSync(file, "utf8") : null]);
    try {
      const run = await runHumanEval([solution("    return True\n", attack)]);
      await expectCompletedAtDeep(run, 1);
      for (const name of ["conftest.py", "sitecustomize.py", "usercustomize.py"]) {
        expect(existsSync(path.join(run.ws, name))).toBe(false);
        expect(existsSync(path.join(run.grader, name))).toBe(false);
      }
      // ../conftest.py may be writable inside the sandbox (bubblewrap's private root), but never on the host.
      expect(existsSync(path.join(path.dirname(run.ws), "conftest.py"))).toBe(false);
      expect(readFileSync(path.join(run.grader, "test_humaneval.py"), "utf8")).toBe(testFileText(P0));
      for (const dir of sitePackages) expect(existsSync(path.join(dir, `smol_adv_${marker}.pth`))).toBe(false);
      for (const [file, before] of sitecustomizeBefore)
        expect(existsSync(file!) ? readFileSync(file!, "utf8") : null).toBe(before!);
      expect(existsSync(`/tmp/pth-ran-${marker}`)).toBe(false);
      expect(hostileOutput(run.db)).toContain("WRITEFAIL conftest.py");
    } finally {
      for (const dir of sitePackages) rmSync(path.join(dir, `smol_adv_${marker}.pth`), { force: true });
      rmSync(`/tmp/pth-ran-${marker}`, { force: true });
    }
  }, 180_000);

  test("13b. a candidate that prints pytest's '1 passed' and exits 0 fails", async () => {
    const fake = [
      "    import os, sys",
      '    print("test_humaneval.py::test_check PASSED")',
      '    print("============================== 1 passed in 0.01s ===============================")',
      "    sys.stdout.flush()",
      "    sys.stderr.flush()",
      "    os._exit(0)",
      "",
    ].join("\n");
    const run = await runHumanEval([solution(fake, '\nprint("1 passed in 0.01s")\n')]);
    await expectCompletedAtDeep(run, 1);
    expect(readStore(run.db).attempts[0]).toMatchObject({ tier: "fast", outcome: "verification_failed" });
  }, 180_000);

  test("14. a result whose __eq__ is always True (plain object, int subclass) fails", async () => {
    const always = [
      "",
      "",
      "class _Always:",
      "    def __eq__(self, other):",
      "        return True",
      "    def __ne__(self, other):",
      "        return False",
      "    def __bool__(self):",
      "        return True",
      "    __hash__ = object.__hash__",
      "",
      "",
      "class _AlwaysInt(int):",
      "    def __eq__(self, other):",
      "        return True",
      "    def __ne__(self, other):",
      "        return False",
      "    __hash__ = int.__hash__",
      "",
    ].join("\n");
    const run = await runHumanEval([
      solution("    return _Always()\n", always),
      solution("    return _AlwaysInt(1)\n", always),
    ]);
    await expectCompletedAtDeep(run, 2);
    expect(readStore(run.db).attempts.map((a) => a.outcome)).toEqual([
      "verification_failed",
      "verification_failed",
      "passed",
    ]);
  }, 180_000);
});
