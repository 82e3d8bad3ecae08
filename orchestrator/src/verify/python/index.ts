// The grader's Python helpers, embedded at build time so a compiled smol-coder carries them. They are written
// into the grader's private directory when it starts (never at import), read-only, and run from there.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import candidate from "./candidate.py" with { type: "text" };
import grader from "./grader.py" with { type: "text" };
import proxy from "./proxy.py" with { type: "text" };
import wire from "./wire.py" with { type: "text" };

const HELPERS = { "grader.py": grader, "proxy.py": proxy, "wire.py": wire, "candidate.py": candidate } as const;

export type HelperPaths = { dir: string; grader: string; candidate: string; wire: string };

/** Writes the helpers into `dir` (created) and returns their paths. */
export async function writeHelpers(dir: string): Promise<HelperPaths> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  for (const [name, text] of Object.entries(HELPERS)) {
    const file = path.join(dir, name);
    await writeFile(file, text, { mode: 0o400 });
  }
  return {
    dir,
    grader: path.join(dir, "grader.py"),
    candidate: path.join(dir, "candidate.py"),
    wire: path.join(dir, "wire.py"),
  };
}
