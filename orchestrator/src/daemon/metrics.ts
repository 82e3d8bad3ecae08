// The daemon's Prometheus metrics (prom-client, the de-facto Node client): queue depth by state, model calls in
// flight per tier and role, tasks finished by outcome, and model-call latency per alias, read off the events.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { EventName } from "../log/events.ts";
import type { Router } from "../models/permits.ts";
import type { TaskQueue } from "../queue/queue.ts";
import { QueueState } from "../queue/queue.ts";
import { ROLES } from "../types.ts";

export type DaemonMetrics = {
  /** Every event line the daemon logs, parsed: model_call_completed feeds the latency histogram. */
  observe(event: { event?: unknown; model?: unknown; tier?: unknown; durationMs?: unknown }): void;
  /** A task finished: its status, or how it ended without one (cancelled, error). */
  finished(outcome: string): void;
  text(): Promise<string>;
  contentType: string;
};

export function daemonMetrics(deps: { queue: TaskQueue; router: Router }): DaemonMetrics {
  const registry = new Registry();
  const registers = [registry];
  // The process's own: resident memory, CPU, heap, event-loop lag (process_resident_memory_bytes, ...).
  collectDefaultMetrics({ register: registry });
  new Gauge({
    name: "smol_coder_queue_tasks",
    help: "Tasks in the daemon's queue by state",
    labelNames: ["state"],
    registers,
    async collect() {
      const counts = await deps.queue.counts();
      for (const state of QueueState.options) this.set({ state }, counts[state]);
    },
  });
  new Gauge({
    name: "smol_coder_model_calls_in_flight",
    help: "Model calls holding a permit now, per tier or advisory role",
    labelNames: ["role"],
    registers,
    collect() {
      for (const role of ROLES) this.set({ role }, deps.router.inFlight(role));
    },
  });
  new Gauge({
    name: "smol_coder_model_call_leases",
    help: "Model calls holding a lease on the shared limits' Redis now, every process on it together (limits.redis)",
    labelNames: ["role"],
    registers,
    async collect() {
      for (const role of ROLES) {
        const held = deps.router.swarmInFlight(role);
        // A Redis away must not hold the scrape: unknown (NaN) after a second.
        if (held)
          this.set(
            { role },
            await Promise.race([held.catch(() => Number.NaN), Bun.sleep(1_000).then(() => Number.NaN)]),
          );
      }
    },
  });
  const tasks = new Counter({
    name: "smol_coder_tasks_finished_total",
    help: "Tasks this daemon finished, by outcome",
    labelNames: ["outcome"],
    registers,
  });
  const latency = new Histogram({
    name: "smol_coder_model_call_duration_seconds",
    help: "Model call latency (permit held to reply), per alias and role",
    labelNames: ["alias", "role"],
    buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers,
  });
  return {
    observe(event) {
      if (event.event !== ("model_call_completed" satisfies EventName) || typeof event.durationMs !== "number") return;
      latency.observe({ alias: String(event.model), role: String(event.tier) }, event.durationMs / 1000);
    },
    finished: (outcome) => tasks.inc({ outcome }),
    text: () => registry.metrics(),
    contentType: registry.contentType,
  };
}
