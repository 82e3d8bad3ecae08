import { describe, expect, test } from "bun:test";
import path from "node:path";
import { buildConfig } from "./config.ts";
import { dataDir, defaultDatasetPath, defaultDbPath, defaultLockDir, defaultLogDir, REPO_ROOT } from "./paths.ts";

describe("state lives in the user's data directory", () => {
  test.each([
    ["XDG_DATA_HOME wins", { XDG_DATA_HOME: "/data/x", HOME: "/home/u" }, "/data/x/smol-coder"],
    ["else ~/.local/share", { HOME: "/home/u" }, "/home/u/.local/share/smol-coder"],
    [
      "a relative XDG_DATA_HOME is ignored",
      { XDG_DATA_HOME: "rel/dir", HOME: "/home/u" },
      "/home/u/.local/share/smol-coder",
    ],
    ["an empty XDG_DATA_HOME is ignored", { XDG_DATA_HOME: "", HOME: "/home/u" }, "/home/u/.local/share/smol-coder"],
  ])("%s", (_name, env, expected) => {
    expect(dataDir(env)).toBe(expected);
  });

  test("logs, run records, the dataset and the workspace locks sit under it, outside the checkout", () => {
    const env = { XDG_DATA_HOME: "/data/x" };
    expect(defaultLogDir(env)).toBe("/data/x/smol-coder/logs");
    expect(defaultDbPath(env)).toBe("/data/x/smol-coder/runs.db");
    expect(defaultDatasetPath(env)).toBe("/data/x/smol-coder/datasets/HumanEval.jsonl.gz");
    expect(defaultLockDir(env)).toBe("/data/x/smol-coder/locks");
    expect(path.relative(REPO_ROOT, dataDir({ HOME: "/home/u" })).startsWith("..")).toBe(true);
  });

  test("the config's defaults follow the environment, and a layer still overrides them", () => {
    const saved = process.env.XDG_DATA_HOME;
    process.env.XDG_DATA_HOME = "/data/y";
    try {
      expect(buildConfig([]).db).toBe("/data/y/smol-coder/runs.db");
      expect(buildConfig([]).logDir).toBe("/data/y/smol-coder/logs");
      expect(buildConfig([{ db: "/elsewhere/runs.db" }]).db).toBe("/elsewhere/runs.db");
    } finally {
      if (saved === undefined) delete process.env.XDG_DATA_HOME;
      else process.env.XDG_DATA_HOME = saved;
    }
  });
});
