import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import {
  OFFICIAL_COUNT,
  describeProblems,
  loadDataset,
  parseProblemSelection,
  selectProblems,
  type Problem,
} from "./dataset.ts";
import { DatasetInvalid } from "../errors.ts";
import { SHARED_DATASET } from "../../test/helpers.ts";

const SHARED = SHARED_DATASET;
const dir = mkdtempSync(path.join(tmpdir(), "smol-dataset-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let counter = 0;
function tempFile(content: string | Uint8Array, name = "data.jsonl"): string {
  const file = path.join(dir, `${counter++}-${name}`);
  writeFileSync(file, content);
  return file;
}

const line = (fields: Record<string, unknown>) =>
  JSON.stringify({
    task_id: "T/0",
    prompt: "def f():\n",
    entry_point: "f",
    canonical_solution: "    return 1\n",
    test: "def check(c): pass\n",
    ...fields,
  });

async function loadError(file: string): Promise<DatasetInvalid> {
  try {
    await loadDataset(file);
  } catch (error) {
    expect(error).toBeInstanceOf(DatasetInvalid);
    return error as DatasetInvalid;
  }
  throw new Error(`expected DatasetInvalid loading ${file}`);
}

function selectError(problems: Problem[], selection: { problems?: string; limit?: number }): DatasetInvalid {
  try {
    selectProblems(problems, selection);
  } catch (error) {
    expect(error).toBeInstanceOf(DatasetInvalid);
    return error as DatasetInvalid;
  }
  throw new Error(`expected DatasetInvalid selecting ${JSON.stringify(selection)}`);
}

describe("loadDataset", () => {
  test("loads the official dataset, gzipped", async () => {
    const problems = await loadDataset(SHARED);
    expect(problems).toHaveLength(OFFICIAL_COUNT);
    expect(problems[0]!.taskId).toBe("HumanEval/0");
    expect(problems[0]!.entryPoint).toBe("has_close_elements");
    expect(problems[163]!.taskId).toBe("HumanEval/163");
    expect(problems.every((problem) => problem.canonicalSolution.trim() !== "")).toBe(true);
    expect(Object.keys(problems[0]!).sort()).toEqual(["canonicalSolution", "entryPoint", "prompt", "taskId", "test"]);
  });

  test("the same data uncompressed loads identically, whatever the file is named", async () => {
    const gzipped = readFileSync(SHARED);
    const plain = gunzipSync(gzipped);
    const expected = await loadDataset(SHARED);
    expect(await loadDataset(tempFile(plain, "HumanEval.jsonl"))).toEqual(expected);
    // Detection is by magic bytes, not by name.
    expect(await loadDataset(tempFile(plain, "misnamed.jsonl.gz"))).toEqual(expected);
    expect(await loadDataset(tempFile(gzipped, "misnamed.jsonl"))).toEqual(expected);
  });

  test("skips blank lines, accepts CRLF, ignores unknown keys, allows an empty canonical_solution", async () => {
    const text = [
      "",
      line({ task_id: "T/0", extra: 1 }),
      "   ",
      line({ task_id: "T/1", canonical_solution: "" }),
      "",
    ].join("\r\n");
    const problems = await loadDataset(tempFile(text));
    expect(problems.map((problem) => problem.taskId)).toEqual(["T/0", "T/1"]);
    expect(problems[0]).toEqual({
      taskId: "T/0",
      prompt: "def f():\n",
      entryPoint: "f",
      canonicalSolution: "    return 1\n",
      test: "def check(c): pass\n",
    });
    expect(problems[1]!.canonicalSolution).toBe("");
  });

  test("a missing file says how to get one", async () => {
    const missing = path.join(dir, "nope.jsonl.gz");
    const error = await loadError(missing);
    expect(error.source).toBe(missing);
    expect(error.problem).toBe("does not exist");
    expect(error.message).toContain("--dataset PATH");
    expect(error.message).toContain("smol-coder dataset download");
  });

  test("a directory cannot be read", async () => {
    expect((await loadError(dir)).problem).toContain("cannot be read");
  });

  test("gzip magic bytes with a broken body", async () => {
    const truncated = gzipSync(line({})).subarray(0, 12);
    expect((await loadError(tempFile(truncated, "bad.gz"))).problem).toContain("does not decompress");
  });

  const lineCases: [string, string, string[]][] = [
    ["not JSON", `${line({})}\n{"task_id": `, ["line 2 is not JSON"]],
    ["not an object", `\n\n[1, 2]`, ["line 3 is not a JSON object"]],
    [
      "missing field",
      JSON.stringify({ task_id: "T/0", prompt: "p", canonical_solution: "", test: "t" }),
      ["line 1", '"entry_point" is missing'],
    ],
    ["empty task_id", line({ task_id: "" }), ["line 1", '"task_id" must not be empty']],
    ["prompt not a string", line({ prompt: 3 }), ["line 1", '"prompt" must be a string (got 3)']],
    ["empty test", line({ test: "" }), ['"test" must not be empty']],
    [
      "canonical_solution null",
      line({ canonical_solution: null }),
      ['"canonical_solution" must be a string (got null)'],
    ],
    [
      "entry_point with a space",
      line({ entry_point: "has close" }),
      ['"entry_point" must be a Python identifier (got "has close")'],
    ],
    ["entry_point starting with a digit", line({ entry_point: "1f" }), ['"entry_point" must be a Python identifier']],
    ["entry_point a keyword", line({ entry_point: "def" }), ['"entry_point" must be a Python identifier']],
    [
      "duplicate task_id",
      [line({ task_id: "A" }), line({ task_id: "B" }), "", line({ task_id: "A" })].join("\n"),
      ['line 4: duplicate task_id "A" (first on line 1)'],
    ],
    ["only blank lines", "\n  \n\n", ["has no problems"]],
  ];
  for (const [name, text, fragments] of lineCases) {
    test(`rejects: ${name}`, async () => {
      const file = tempFile(text);
      const error = await loadError(file);
      expect(error.source).toBe(file);
      for (const fragment of fragments) expect(error.message).toContain(fragment);
    });
  }

  test("errors inside a gzipped file name the line too", async () => {
    const error = await loadError(
      tempFile(gzipSync(`${line({})}\n${line({ entry_point: "x-y" })}\n`), "data.jsonl.gz"),
    );
    expect(error.message).toContain('line 2: field "entry_point" must be a Python identifier');
  });

  test("an empty gzip is an empty dataset", async () => {
    expect((await loadError(tempFile(gzipSync(""), "empty.gz"))).problem).toBe("has no problems");
  });

  test("accepts Unicode identifiers and a leading underscore", async () => {
    const problems = await loadDataset(
      tempFile(
        [line({ task_id: "a", entry_point: "_private" }), line({ task_id: "b", entry_point: "größe2" })].join("\n"),
      ),
    );
    expect(problems.map((problem) => problem.entryPoint)).toEqual(["_private", "größe2"]);
  });
});

describe("problem selection", () => {
  const problems: Problem[] = Array.from({ length: 164 }, (_, index) => ({
    taskId: `HumanEval/${index}`,
    prompt: `def f${index}():\n    """doc"""\n`,
    entryPoint: `f${index}`,
    canonicalSolution: "    pass\n",
    test: "def check(c): pass\n",
  }));
  const ids = (selection: { problems?: string; limit?: number }) =>
    selectProblems(problems, selection).map((problem) => problem.taskId);
  const indexes = (selection: { problems?: string; limit?: number }) =>
    ids(selection).map((id) => Number(id.split("/")[1]));

  const cases: [{ problems?: string; limit?: number }, number[]][] = [
    [{ problems: "3" }, [3]],
    [{ problems: "0-9" }, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]],
    [{ problems: "0-9,12,20-22" }, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 20, 21, 22]],
    [{ problems: "HumanEval/7" }, [7]],
    [{ problems: " 5 , HumanEval/1 ,2-3" }, [1, 2, 3, 5]],
    [{ problems: "20,3-5,4" }, [3, 4, 5, 20]],
    [{ problems: "7-7" }, [7]],
    [{ problems: "163" }, [163]],
    [{ problems: "10-20", limit: 3 }, [10, 11, 12]],
    [{ problems: "1,2", limit: 50 }, [1, 2]],
    [{ limit: 2 }, [0, 1]],
  ];
  for (const [selection, expected] of cases) {
    test(`selects ${JSON.stringify(selection)}`, () => {
      expect(indexes(selection)).toEqual(expected);
    });
  }

  test("no --problems and no --limit selects everything", () => {
    expect(selectProblems(problems, {})).toEqual(problems);
  });

  test("parseProblemSelection returns the indexes", () => {
    expect([...parseProblemSelection("2,0-1", ["a", "b", "c"])].sort()).toEqual([0, 1, 2]);
    expect([...parseProblemSelection("b", ["a", "b", "c"])]).toEqual([1]);
  });

  const errorCases: [string, string][] = [
    ["", "is empty"],
    ["  ", "is empty"],
    ["abc", '"abc" is neither an index'],
    ["1-", '"1-" is neither'],
    ["-3", '"-3" is neither'],
    ["1-2-3", '"1-2-3" is neither'],
    ["1.5", '"1.5" is neither'],
    ["HumanEval/999", '"HumanEval/999" is neither'],
    ["9-0", 'range "9-0" is reversed; write 0-9'],
    ["164", '"164" is past the end; valid indexes are 0-163'],
    ["0-9,160-170", '"160-170" is past the end; valid indexes are 0-163'],
    ["1,,2", "has an empty part"],
    ["1,", "has an empty part"],
  ];
  for (const [spec, fragment] of errorCases) {
    test(`rejects --problems ${JSON.stringify(spec)}`, () => {
      const error = selectError(problems, { problems: spec });
      expect(error.source).toBe("--problems");
      expect(error.message).toContain(fragment);
      expect(error.fix).toContain("0-163");
    });
  }

  for (const limit of [0, -1, 1.5, Number.NaN]) {
    test(`rejects --limit ${limit}`, () => {
      const error = selectError(problems, { limit });
      expect(error.source).toBe("--limit");
    });
  }

  test("selects from the real dataset by index and by id", async () => {
    const real = await loadDataset(SHARED);
    expect(selectProblems(real, { problems: "0,HumanEval/163" }).map((problem) => problem.entryPoint)).toEqual([
      "has_close_elements",
      "generate_integers",
    ]);
    expect(selectError(real, { problems: "200" }).message).toContain("0-163");
  });
});

describe("describeProblems", () => {
  test("one row per problem with its prompt's line count", async () => {
    const rows = describeProblems(await loadDataset(SHARED));
    expect(rows).toHaveLength(OFFICIAL_COUNT);
    expect(rows[0]).toMatchObject({ index: 0, taskId: "HumanEval/0", entryPoint: "has_close_elements" });
    expect(rows[0]!.promptLines).toBeGreaterThan(5);
    expect(rows.map((row) => row.index)).toEqual([...Array(OFFICIAL_COUNT).keys()]);
  });

  test("a trailing newline does not count as a line", () => {
    const problem: Problem = {
      taskId: "a",
      prompt: "def f():\n    pass\n",
      entryPoint: "f",
      canonicalSolution: "",
      test: "t",
    };
    expect(
      describeProblems([problem, { ...problem, taskId: "b", prompt: "one line" }]).map((row) => row.promptLines),
    ).toEqual([2, 1]);
  });
});
