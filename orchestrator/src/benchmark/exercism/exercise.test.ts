// The track loader and the workspace maker, on the shared copies of Exercism's Python and TypeScript tracks.
import { describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { TaskInvalid } from "../../errors.ts";
import { loadTrack } from "./exercise.ts";
import { parseExerciseFiles } from "./track.ts";
import { createExerciseWorkspace } from "./workspace.ts";

const SHARED = path.join(import.meta.dir, "..", "..", "..", "..", "..", "shared", "datasets");
const PYTHON = path.join(SHARED, "exercism-python");
const TYPESCRIPT = path.join(SHARED, "exercism-typescript");

describe("loading a track", () => {
  test("every shared Python exercise names its solution and tests, and has instructions", async () => {
    const track = await loadTrack("python", PYTHON);
    expect(track.length).toBe(110);
    for (const exercise of track) {
      expect(exercise.solution.length).toBeGreaterThan(0);
      expect(exercise.docs.some((doc) => doc.endsWith("instructions.md"))).toBe(true);
      expect(exercise.example.length).toBe(exercise.solution.length);
    }
    const docs = track.find((e) => e.name === "two-fer")!.docs.map((doc) => path.basename(doc));
    expect(docs).toEqual(
      [...docs].sort(
        (a, b) =>
          ["introduction.md", "instructions.md", "instructions.append.md"].indexOf(a) -
          ["introduction.md", "instructions.md", "instructions.append.md"].indexOf(b),
      ),
    );
  });

  test("the TypeScript track loads all 86, the two configs that are not valid JSON included", async () => {
    const track = await loadTrack("typescript", TYPESCRIPT);
    expect(track.length).toBe(86);
    expect(track.find((e) => e.name === "isogram")).toMatchObject({
      solution: ["isogram.ts"],
      test: ["isogram.test.ts"],
      example: [".meta/proof.ci.ts"],
    });
  });

  test("a config without files lists, or a directory that is not a track, is refused naming the fix", async () => {
    expect(() => parseExerciseFiles('{"authors": []}', "x/config.json")).toThrow(TaskInvalid);
    expect(() => parseExerciseFiles("{ not json", "x/config.json")).toThrow("x/config.json has no files.solution");
    await expect(loadTrack("python", tmpdir())).rejects.toThrow("has no exercises/practice directory");
  });
});

describe("an exercise's workspace", () => {
  test("holds the stub and the tests, never .meta, .docs or another dot entry", async () => {
    const [exercise] = (await loadTrack("python", PYTHON)).filter((e) => e.name === "two-fer");
    const { root } = await createExerciseWorkspace(exercise!, mkdtempSync(path.join(tmpdir(), "smol-ex-")));
    expect(readdirSync(root).sort()).toEqual(["two_fer.py", "two_fer_test.py"]);
    expect(readFileSync(path.join(root, "two_fer.py"), "utf8")).toBe(
      readFileSync(path.join(exercise!.dir, "two_fer.py"), "utf8"),
    );
  });

  test("--oracle writes the example over the stub; a second workspace in the same place is refused", async () => {
    const [exercise] = (await loadTrack("python", PYTHON)).filter((e) => e.name === "two-fer");
    const parent = mkdtempSync(path.join(tmpdir(), "smol-ex-"));
    const { root } = await createExerciseWorkspace(exercise!, parent, { oracle: true });
    expect(readFileSync(path.join(root, "two_fer.py"), "utf8")).toBe(
      readFileSync(path.join(exercise!.dir, ".meta", "example.py"), "utf8"),
    );
    await expect(createExerciseWorkspace(exercise!, parent)).rejects.toThrow("already exists and is not empty");
  });

  test("TypeScript: every test runs, the benchmark's tsconfig sits beside the exercise's, node_modules links to the shared install", async () => {
    const [exercise] = (await loadTrack("typescript", TYPESCRIPT)).filter((e) => e.name === "isogram");
    const { root } = await createExerciseWorkspace(exercise!, mkdtempSync(path.join(tmpdir(), "smol-ex-")), {
      nodeModules: "/opt/tools/node_modules",
    });
    const tests = readFileSync(path.join(root, "isogram.test.ts"), "utf8");
    expect(readFileSync(path.join(exercise!.dir, "isogram.test.ts"), "utf8")).toMatch(/^\s*xit\(/m);
    expect(tests).not.toMatch(/^\s*x(it|test)\(/m);
    expect(readlinkSync(path.join(root, "node_modules"))).toBe("/opt/tools/node_modules");
    expect(existsSync(path.join(root, "tsconfig.bench.json"))).toBe(true);
    expect(readdirSync(root).filter((name) => name.startsWith("."))).toEqual([]);
  });
});
