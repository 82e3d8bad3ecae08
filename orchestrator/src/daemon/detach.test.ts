import { expect, test } from "bun:test";
import { relaunchCommand } from "./detach.ts";

test.each([
  [
    "bun running the script",
    "/usr/bin/bun",
    ["/usr/bin/bun", "/app/src/index.ts", "--no-log-file", "serve", "--detach", "--socket", "/s"],
    ["/usr/bin/bun", "/app/src/index.ts", "--no-log-file", "serve", "--socket", "/s"],
  ],
  [
    "the compiled binary: its script path is inside itself",
    "/usr/local/bin/smol-coder",
    ["/usr/local/bin/smol-coder", "/$bunfs/root/smol-coder", "serve", "--detach"],
    ["/usr/local/bin/smol-coder", "serve"],
  ],
])("relaunchCommand: %s", (_, execPath, argv, expected) => {
  expect(relaunchCommand(execPath, argv)).toEqual(expected);
});
