// The signals a real process gets: each is sent only after the child said it handled the one before, so no
// verdict depends on timing.
import { expect, test } from "bun:test";
import path from "node:path";

const MODULE = path.join(import.meta.dir, "interrupt.ts");

/** A child whose "restore" (after the first signal) ends once it has seen `restoreAfter` signals, or never. */
function child(restoreAfter: number | null) {
  const code = `
    import { interruptSignal } from ${JSON.stringify(MODULE)};
    let seen = 0;
    let finish = () => {};
    const signal = interruptSignal({ cleanup: "restoring the workspace", onSignal: ({ signal, count }) => {
      seen = count;
      console.log("got " + signal + " " + count);
      if (${JSON.stringify(restoreAfter)} !== null && count >= ${JSON.stringify(restoreAfter)}) finish();
    } });
    const alive = setInterval(() => {}, 1000);
    signal.addEventListener("abort", async () => {
      await new Promise((resolve) => (finish = resolve));
      console.log("restored after " + seen);
      clearInterval(alive);
    });
    console.log("ready");
  `;
  return Bun.spawn(["bun", "-e", code], { stdout: "pipe", stderr: "pipe" });
}

/** Reads the child's stdout until `line` has appeared. */
type Reader = { read(): Promise<{ done: boolean; value?: Uint8Array }> };

async function until(reader: Reader, seen: { text: string }, line: string): Promise<void> {
  const decoder = new TextDecoder();
  while (!seen.text.includes(`${line}\n`)) {
    const { value, done } = await reader.read();
    if (done)
      throw new Error(
        `the child ended before printing ${JSON.stringify(line)}; it printed ${JSON.stringify(seen.text)}`,
      );
    seen.text += decoder.decode(value);
  }
}

test("a second signal during the cleanup does not cut it short: it says to wait, and the cleanup ends", async () => {
  const proc = child(2);
  const reader = proc.stdout.getReader();
  const seen = { text: "" };
  await until(reader, seen, "ready");
  proc.kill("SIGTERM");
  await until(reader, seen, "got SIGTERM 1");
  proc.kill("SIGINT");
  await until(reader, seen, "restored after 2");
  expect(await proc.exited).toBe(0);
  expect(await new Response(proc.stderr).text()).toContain("smol-coder: restoring the workspace, please wait");
}, 30_000);

test("a third signal quits at once with exit 130, the cleanup unfinished", async () => {
  const proc = child(null);
  const reader = proc.stdout.getReader();
  const seen = { text: "" };
  await until(reader, seen, "ready");
  for (const count of [1, 2, 3]) {
    proc.kill("SIGINT");
    if (count < 3) await until(reader, seen, `got SIGINT ${count}`);
  }
  expect(await proc.exited).toBe(130);
  const decoder = new TextDecoder();
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read())
    seen.text += decoder.decode(chunk.value);
  expect(seen.text).toContain("got SIGINT 3");
  expect(seen.text).not.toContain("restored");
}, 30_000);
