// Test helper: HumanEval problems from the shared dataset beside the checkout (never copied into the repo).
// A missing dataset fails the tests that need it, rather than skipping them.
import { readFileSync } from "node:fs";
import { SHARED_DATASET } from "../../../../test/helpers.ts";
import { parseDataset, type Problem } from "../../../humaneval/dataset.ts";

export const DATASET_PATH = SHARED_DATASET;

let cached: Problem[] | null = null;

export function loadProblems(): Problem[] {
  cached ??= parseDataset(readFileSync(DATASET_PATH), DATASET_PATH);
  return cached;
}

export function problem(taskId: string): Problem {
  const found = loadProblems().find((candidate) => candidate.taskId === taskId);
  if (!found) throw new Error(`no problem ${taskId}`);
  return found;
}
