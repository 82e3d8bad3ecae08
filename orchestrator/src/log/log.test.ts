import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createLogger, logFilePath, saveInternalError } from "./log.ts";

const SECRET = "sk-live-4f9a8b7c6d5e";
const OTHER = "ghp_abcdefghijklmnop";

function collector() {
  const lines: string[] = [];
  return { lines, destination: { write: (line: string) => void lines.push(line) } };
}

function logger(secrets: string[] = [SECRET, OTHER], level?: string) {
  const sink = collector();
  const log = createLogger({ pretty: false, logDir: null, secrets, destination: sink.destination, level });
  const records = () => sink.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { log, lines: sink.lines, records };
}

describe("createLogger", () => {
  test("each line is JSON with the event field when one is given", () => {
    const { log, lines, records } = logger();
    log.info({ event: "attempt.start", tier: "fast" }, "attempt 1");
    log.warn("no event here");
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line.endsWith("\n")).toBe(true);
    const [first, second] = records();
    expect(first).toMatchObject({ event: "attempt.start", tier: "fast", msg: "attempt 1", level: 30 });
    expect(second).not.toHaveProperty("event");
    expect(second).toMatchObject({ msg: "no event here", level: 40 });
  });

  test("apiKey is redacted by key, at the top level and one level down", () => {
    const { log, lines, records } = logger([]);
    log.info({
      event: "model.config",
      apiKey: "short-but-secret",
      client: { apiKey: "nested-secret", baseURL: "http://x" },
    });
    expect(records()[0]).toMatchObject({ apiKey: "[REDACTED]", client: { apiKey: "[REDACTED]", baseURL: "http://x" } });
    expect(lines.join("")).not.toContain("short-but-secret");
    expect(lines.join("")).not.toContain("nested-secret");
  });

  test("authorization headers are redacted", () => {
    const { log, lines, records } = logger([]);
    log.info({ event: "model.request", headers: { authorization: "Bearer abc.def.ghi", accept: "application/json" } });
    log.info({ event: "model.request", request: { headers: { authorization: "Bearer zzz" } } });
    const [top, nested] = records();
    expect(top).toMatchObject({ headers: { authorization: "[REDACTED]", accept: "application/json" } });
    expect(nested).toMatchObject({ request: { headers: { authorization: "[REDACTED]" } } });
    expect(lines.join("")).not.toContain("Bearer");
  });

  test("secret values are scrubbed from error messages and stacks", () => {
    const { log, lines, records } = logger();
    log.error(
      { event: "model.failed", err: new Error(`401 Incorrect API key provided: ${SECRET}`) },
      `call failed with ${OTHER}`,
    );
    const text = lines.join("");
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(OTHER);
    const record = records()[0]!;
    expect((record.err as { message: string }).message).toBe("401 Incorrect API key provided: [REDACTED]");
    expect(record.msg).toBe("call failed with [REDACTED]");
  });

  test("secret values are scrubbed from any field, however deep", () => {
    const { log, lines } = logger();
    log.info({ event: "debug", a: { b: { c: [`prefix-${SECRET}-suffix`] } } });
    expect(lines[0]).toContain("prefix-[REDACTED]-suffix");
  });

  test("empty secrets are ignored rather than breaking every line", () => {
    const { log, records } = logger(["", SECRET]);
    log.info({ event: "ok" }, "hello");
    expect(records()[0]).toMatchObject({ event: "ok", msg: "hello" });
  });

  test("the level filters lines", () => {
    const { log, records } = logger([], "warn");
    log.info({ event: "quiet" });
    log.error({ event: "loud" });
    expect(records().map((r) => r.event)).toEqual(["loud"]);
  });

  describe("with a log directory", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "smol-log-"));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    test("a scrubbed copy of each line goes to the dated file", () => {
      const sink = collector();
      const logDir = path.join(dir, "nested", "logs");
      const log = createLogger({ pretty: false, logDir, secrets: [SECRET], destination: sink.destination });
      log.info({ event: "task.start", note: `uses ${SECRET}` });
      const file = readFileSync(logFilePath(logDir), "utf8");
      expect(file).toBe(sink.lines.join(""));
      expect(file).toContain('"event":"task.start"');
      expect(file).not.toContain(SECRET);
    });
  });

  test("saveInternalError appends the error and its stack, scrubbed, as one event line to the dated file", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "smol-crash-"));
    try {
      const logDir = path.join(dir, "logs");
      const now = new Date("2025-03-04T10:00:00Z");
      const file = saveInternalError(new TypeError(`cannot read x of undefined near ${SECRET}`), logDir, {
        secrets: [SECRET],
        now,
      });
      expect(file).toBe(logFilePath(logDir, now));
      const [line, ...rest] = readFileSync(file!, "utf8").split("\n").filter(Boolean);
      expect(rest).toEqual([]);
      const record = JSON.parse(line!) as { event: string; err: { type: string; message: string; stack: string } };
      expect(record).toMatchObject({
        event: "internal_error",
        err: { type: "TypeError", message: "cannot read x of undefined near [REDACTED]" },
      });
      expect(record.err.stack).toContain("log.test.ts");
      expect(line).not.toContain(SECRET);
      // A directory that cannot be made: nothing written, and the caller is told.
      writeFileSync(path.join(dir, "a-file"), "");
      expect(saveInternalError(new Error("x"), path.join(dir, "a-file", "logs"), { secrets: [], now })).toBeNull();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("logFilePath is dated", () => {
    expect(logFilePath("/var/log/smol", new Date("2025-03-04T10:00:00Z"))).toBe(
      "/var/log/smol/smol-coder-2025-03-04.jsonl",
    );
  });
});
