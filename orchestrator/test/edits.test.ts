// Edits through the whole CLI: a messy model diff still lands; the tier's configured format is asked for and applied.
import { expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { startFakeModel } from "./fakeModel.ts";
import { perTestResources, runCli, tempDir } from "./helpers.ts";

const resources = perTestResources();
const SOURCE = ["def area(w, h):", "    return w * h", "", "", "def perimeter(w, h):", "    return w + h", ""].join(
  "\n",
);
const FIXED = SOURCE.replace("return w + h", "return 2 * (w + h)");
const TASK = JSON.stringify({
  description: "Fix perimeter()",
  filesOwned: ["shapes.py"],
  verify: ["grep -q '2 \\* (w + h)' shapes.py"],
});

function workspace(): string {
  const dir = resources.track(tempDir("smol-edits-"));
  writeFileSync(path.join(dir, "shapes.py"), SOURCE);
  return dir;
}

test("a messy diff (no a/ b/, no numbers, trailing spaces, prose) applies on the first attempt", async () => {
  const reply =
    "Sure! The perimeter is wrong.\n\n```\n--- shapes.py\n+++ shapes.py\n@@ ... @@\n def perimeter(w, h):   \n-    return w + h\n+    return 2 * (w + h)\n```\nHope this helps!";
  resources.fake = startFakeModel({ replies: { "fast-coder": [reply] } });
  const dir = workspace();
  const result = await runCli(["--workspace", dir], { stdin: TASK, env: { LITELLM_URL: resources.fake.url } });
  expect(result.exitCode).toBe(0);
  expect(readFileSync(path.join(dir, "shapes.py"), "utf8")).toBe(FIXED);
  const applied = result.events.find((event) => event.event === "patch_applied")!;
  expect(applied.format).toBe("udiff");
  expect(applied.diff).toContain("-    return w + h\n+    return 2 * (w + h)");
}, 20_000);

test("patch.formats makes the fast tier's prompt ask for search/replace, and the block is applied", async () => {
  const reply = "shapes.py\n<<<<<<< SEARCH\n    return w + h\n=======\n    return 2 * (w + h)\n>>>>>>> REPLACE\n";
  resources.fake = startFakeModel({ replies: { "fast-coder": [reply] } });
  const dir = workspace();
  const config = path.join(resources.track(tempDir("smol-config-")), "config.json");
  writeFileSync(config, JSON.stringify({ patch: { formats: { fast: "search-replace" } } }));
  const result = await runCli(["--workspace", dir, "--config", config], {
    stdin: TASK,
    env: { LITELLM_URL: resources.fake.url },
  });
  expect(result.exitCode).toBe(0);
  const system = resources.fake.requestsFor("fast-coder")[0]!.body.messages[0]!.content;
  expect(system).toContain("<<<<<<< SEARCH");
  expect(system).not.toContain("```diff");
  const applied = result.events.find((event) => event.event === "patch_applied")!;
  expect(applied.format).toBe("search-replace");
  expect(applied.diff).toContain("+++ b/shapes.py");
  expect(readFileSync(path.join(dir, "shapes.py"), "utf8")).toBe(FIXED);
}, 20_000);
