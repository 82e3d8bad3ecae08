// docs/events.md's tables, rendered from the event catalogue: `bun run events:docs` writes them between the
// markers, and events.test.ts fails while the page and the catalogue differ.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { z } from "zod";
import { EVENTS, RENAMED_IN } from "./events.ts";

export const DOC_FILE = path.join(import.meta.dir, "..", "..", "..", "docs", "events.md");
const BEGIN = "<!-- events: rendered from orchestrator/src/log/events.ts by `bun run events:docs`; do not edit -->";
const END = "<!-- end of events -->";

function field(name: string, schema: z.ZodType): string {
  const optional = schema.safeParse(undefined).success ? "?" : "";
  const about = schema.description ? ` (${schema.description})` : "";
  return `\`${name}${optional}\`${about}`;
}

/** Pure: the events table, then the renamed events with their old names. */
export function renderEvents(): string {
  const rows = Object.entries(EVENTS).map(([name, spec]) => {
    const shape = spec.fields.shape as Record<string, z.ZodType>;
    const fields = Object.entries(shape).map(([key, schema]) => field(key, schema));
    const extra = spec.fields.def.catchall ? ["and the run's summary"] : [];
    return `| \`${name}\` | ${spec.level} | ${spec.about} | ${[...fields, ...extra].join(", ") || "–"} |`;
  });
  const renamed = Object.entries(EVENTS).flatMap(([name, spec]) =>
    "was" in spec ? [`| \`${spec.was}\` | \`${name}\` |`] : [],
  );
  return [
    "| event | level | what it says | fields |",
    "|---|---|---|---|",
    ...rows,
    "",
    `Renamed in ${RENAMED_IN}, so that every name is a noun then its action in the past tense (or a state):`,
    "",
    "| before | now |",
    "|---|---|",
    ...renamed,
  ].join("\n");
}

/** Pure: the page with its rendered part replaced. */
export function withEvents(page: string): string {
  const start = page.indexOf(BEGIN);
  const end = page.indexOf(END);
  if (start < 0 || end < start) throw new Error(`docs/events.md has no ${BEGIN} … ${END} markers`);
  return `${page.slice(0, start + BEGIN.length)}\n${renderEvents()}\n${page.slice(end)}`;
}

if (import.meta.main) {
  writeFileSync(DOC_FILE, withEvents(readFileSync(DOC_FILE, "utf8")));
  console.log(`wrote ${DOC_FILE}`);
}
