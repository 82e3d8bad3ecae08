import { describe, expect, test } from "bun:test";
import { TaskInvalid } from "../../errors.ts";
import { sampleNames, selectExercises } from "./selection.ts";

const names = Array.from({ length: 110 }, (_, i) => `ex-${String(i).padStart(3, "0")}`);
const all = names.map((name) => ({ name }));

describe("selecting exercises", () => {
  test("a seeded sample is the same every time, of the size asked, in name order, and another seed draws another", () => {
    const a = sampleNames(names, 40, 7);
    expect(a).toHaveLength(40);
    expect(sampleNames([...names].reverse(), 40, 7)).toEqual(a);
    expect([...a].sort()).toEqual(a);
    expect(new Set(a).size).toBe(40);
    expect(sampleNames(names, 40, 8)).not.toEqual(a);
  });

  test("a sample larger than the set takes all of it", () => {
    expect(sampleNames(["b", "a"], 5, 1)).toEqual(["a", "b"]);
  });

  test("--only keeps the named exercises; an unknown name is refused naming it", () => {
    expect(selectExercises(all, { only: "ex-003, ex-001", seed: 1 }).map((e) => e.name)).toEqual(["ex-001", "ex-003"]);
    expect(() => selectExercises(all, { only: "ex-001,nope", seed: 1 })).toThrow(TaskInvalid);
    expect(() => selectExercises(all, { only: "nope", seed: 1 })).toThrow("no exercise named nope");
  });

  test("--limit after the sample", () => {
    expect(selectExercises(all, { sample: 10, seed: 3, limit: 4 })).toEqual(
      selectExercises(all, { sample: 10, seed: 3 }).slice(0, 4),
    );
  });
});
