import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { badOverlayPath, findSecrets, isExposed, isSecretFile, openView } from "./view.ts";

describe("secret-named files", () => {
  test.each([
    ".env",
    ".env.local",
    ".ENV.production",
    "server.pem",
    "tls.key",
    ".npmrc",
    ".pypirc",
    "id_rsa",
    "id_ed25519",
    "id_rsa.pub",
  ])("%s is masked", (name) => {
    expect(isSecretFile(name)).toBe(true);
  });
  test.each(["env.py", ".envrc.md", "id_utils.py", "keys.py", "monkey.ts", "pem.txt", "README.md", "identity"])(
    "%s is code or text, not a secret",
    (name) => {
      expect(isSecretFile(name)).toBe(false);
    },
  );
  test("owned paths and sandbox.expose globs are let through", () => {
    expect(isExposed(".env", [".env"], [])).toBe(true);
    expect(isExposed("config/test.key", [], ["config/*.key"])).toBe(true);
    expect(isExposed("config/prod.pem", [], ["config/*.key"])).toBe(false);
    expect(isExposed("sub/.env", [".env"], [])).toBe(false);
  });
});

describe("finding them", () => {
  const root = mkdtempSync(path.join(tmpdir(), "smol-view-test-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  test("anywhere in the workspace but dependency installs and .git; owned and exposed ones are left", async () => {
    for (const dir of ["app", "node_modules/pkg", ".git", "certs"])
      mkdirSync(path.join(root, dir), { recursive: true });
    for (const file of [
      ".env",
      "app/.env.test",
      "node_modules/pkg/test.pem",
      ".git/id_rsa",
      "certs/ca.pem",
      "app/main.py",
      "app/owned.key",
    ])
      writeFileSync(path.join(root, file), "x");
    mkdirSync(path.join(root, ".env.d"));
    const found = await findSecrets(root, ["app/owned.key"], ["certs/*"]);
    expect(found.map((entry) => [path.relative(root, entry.path), entry.isDir]).sort()).toEqual([
      [".env", false],
      [".env.d", true],
      ["app/.env.test", false],
    ]);
  });

  test("a view's layers are fresh directories beside an empty masking file; dispose removes them all", async () => {
    const view = await openView({ workspace: root, owned: [], expose: [] });
    expect(await Bun.file(view.dirs.empty).text()).toBe("");
    expect(path.dirname(view.dirs.upper)).toBe(path.dirname(view.dirs.work));
    await view.dispose();
    expect(await Bun.file(view.dirs.empty).exists()).toBe(false);
  });

  test("a temporary directory whose path overlayfs cannot take is refused up front", () => {
    expect(badOverlayPath("/tmp/a,b")).toBe(true);
    expect(badOverlayPath("/tmp/a:b")).toBe(true);
    expect(badOverlayPath("/tmp/smol-view-x1")).toBe(false);
  });
});
