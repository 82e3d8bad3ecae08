// Folder layers, checked in CI (bun run deps): a folder of src/ may use the folders below it and never one above,
// so no two folders import each other through any path. The code only (tests and fixtures may reach across), and
// src/'s own files (index.ts, the entry, on top; errors.ts and types.ts, the ground, below all) are not a folder.
const base = require("./.dependency-cruiser.cjs");

module.exports = {
  forbidden: [
    {
      name: "no-folder-cycles",
      severity: "error",
      comment: "Folders are layers: no folder imports one that imports it back, through any path.",
      scope: "folder",
      from: { path: "^src/[^/]+" },
      to: { path: "^src/[^/]+", circular: true },
    },
  ],
  options: {
    ...base.options,
    exclude: { path: ["(^|/)(corpus|fixtures|__fixtures__)/", "\\.test\\.ts$", "^src/[^/]+\\.ts$"] },
  },
};
