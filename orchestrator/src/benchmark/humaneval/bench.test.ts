import { describe, expect, test } from "bun:test";
import { GraderUnavailable } from "../../errors.ts";
import { crashedLine } from "./bench.ts";
import { ResultLine } from "./report.ts";
import { isVerdict } from "../../types.ts";

const problem = {
  taskId: "HumanEval/7",
  prompt: "def f():\n",
  canonicalSolution: "    pass\n",
  test: "",
  entryPoint: "f",
};

describe("a problem that ends without a verdict", () => {
  test("a grader that died under it gives a 'crashed' line naming the error, which --resume redoes", () => {
    const line = crashedLine(
      problem,
      new GraderUnavailable("the grader process died while this test ran (signal SIGKILL)", "grade again"),
    );
    expect(ResultLine.parse(line)).toEqual(line);
    expect(line).toMatchObject({ taskId: "HumanEval/7", status: "crashed", solved: false, attempts: 0 });
    expect(line.error).toStartWith("GraderUnavailable: pytest grader unavailable: the grader process died");
    expect(isVerdict(line.status)).toBe(false);
  });

  test("only complete, uncommitted and abort are verdicts", () => {
    expect(
      ["complete", "uncommitted", "abort", "unreachable", "rejected", "interrupted", "crashed"].filter((s) =>
        isVerdict(s as never),
      ),
    ).toEqual(["complete", "uncommitted", "abort"]);
  });
});
