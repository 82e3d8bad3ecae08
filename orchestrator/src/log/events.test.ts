import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { Writable } from "node:stream";
import pino from "pino";
import { emit, EVENTS } from "./events.ts";
import { DOC_FILE, renderEvents, withEvents } from "./eventsDoc.ts";

const SRC = path.join(import.meta.dir, "..");
const sources = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "__fixtures__" ? [] : sources(file);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts") ? [file] : [];
  });

describe("the event catalogue", () => {
  test("code emits through it: no event name written as a literal anywhere else in src/", () => {
    const literal = /event: "\w+"(?! satisfies EventName)/;
    const offenders = sources(SRC)
      .filter((file) => !file.endsWith(path.join("log", "events.ts")))
      .filter((file) => literal.test(readFileSync(file, "utf8")))
      .map((file) => path.relative(SRC, file));
    expect(offenders).toEqual([]);
  });

  test("one tense: noun then action in the past tense, or a state; no name ends in a present-tense verb", () => {
    const present = /_(start|complete|fail|pass|retry|exit|abort|conflict|stale|waiting|draining|startup)$/;
    for (const name of Object.keys(EVENTS)) {
      expect(name).toMatch(/^[a-z]+(_[a-z]+)+$/);
      expect(name).not.toMatch(present);
    }
  });

  test("an old name is never a current one, and each is listed once", () => {
    const olds = Object.values(EVENTS).flatMap((spec) => ("was" in spec ? [spec.was] : []));
    expect(new Set(olds).size).toBe(olds.length);
    for (const old of olds) expect(Object.keys(EVENTS)).not.toContain(old);
  });

  test("docs/events.md holds the rendered tables (run `bun run events:docs` after changing the catalogue)", () => {
    const page = readFileSync(DOC_FILE, "utf8");
    expect(withEvents(page)).toBe(page);
    expect(renderEvents()).toContain("| `task_completed` | info | verified and kept");
    expect(renderEvents()).toContain("| `task_complete` | `task_completed` |");
  });

  test("emit writes the event's name, its fields, its level and its meaning; a level and a message can be given", () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({ write: (chunk, _, done) => done(void lines.push(JSON.parse(String(chunk)))) });
    const log = pino({ level: "debug" }, sink);
    emit(log, "task_escalated", { fromTier: "fast", toTier: "deep", reason: "2 failed attempts at fast" });
    emit(log, "sandbox_ready", { enabled: false, isolation: "none" }, { level: "warn", message: "SANDBOX DISABLED" });
    emit(undefined, "daemon_stopped", {});
    expect(lines).toEqual([
      expect.objectContaining({
        level: 40,
        event: "task_escalated",
        fromTier: "fast",
        toTier: "deep",
        msg: EVENTS.task_escalated.about,
      }),
      expect.objectContaining({ level: 40, event: "sandbox_ready", enabled: false, msg: "SANDBOX DISABLED" }),
    ]);
  });
});
