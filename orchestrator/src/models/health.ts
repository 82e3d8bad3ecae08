// The LiteLLM proxy's health routes. /health/liveliness and /health/readiness answer without calling any model;
// plain /health calls every model behind every alias (slow, and it spends frontier money), so it is never used.
import { EndpointUnreachable } from "../errors.ts";
import type { Probe } from "./probe.ts";
import { abortableSleep } from "./abortable.ts";

export type { Probe };

export type HealthRoute = "liveliness" | "readiness";
/** Pure: the proxy's root from the OpenAI base URL smol-coder calls ("http://h:4000/v1" → "http://h:4000"). */
export function proxyRoot(endpointUrl: string): string {
  return endpointUrl.replace(/\/+$/, "").replace(/\/v1$/, "");
}

/** Bun's fetch errors carry a code; its messages are long ("Unable to connect. Is the computer able to ..."). */
export function connectionFailure(error: unknown): string {
  const code = String((error as { code?: unknown } | null)?.code ?? "");
  if (/refused/i.test(code)) return "connection refused";
  if (code === "ENOTFOUND") return "host not found";
  return (error as Error | null)?.message ?? String(error);
}

/** GET a JSON route (text kept when it is not JSON), sorted into up / down / unreachable. */
export async function getJson(
  url: string,
  options: { apiKey?: string; timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<Probe> {
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 5_000);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  try {
    const response = await fetch(url, {
      headers: options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {},
      signal,
    });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // Not JSON: kept as text.
    }
    return { state: response.ok ? "up" : "down", status: response.status, body, ms: ms() };
  } catch (error) {
    if (options.signal?.aborted) throw options.signal.reason;
    return { state: "unreachable", reason: timeout.aborted ? "timed out" : connectionFailure(error), ms: ms() };
  }
}

export function probeHealth(
  endpointUrl: string,
  route: HealthRoute,
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<Probe> {
  return getJson(`${proxyRoot(endpointUrl)}/health/${route}`, options);
}

export type Readiness = { kind: "ready" | "no-readiness-route"; status: number };

/**
 * Waits until the proxy says it is ready (LiteLLM starts slowly, and Compose starts smol-coder's proxy alongside it).
 * An endpoint without the route (404, 405: a plain OpenAI-compatible server) is taken as ready: it has no such notion.
 * Throws EndpointUnreachable when nothing is ready within timeoutMs.
 */
export async function waitUntilReady(
  endpointUrl: string,
  options: { timeoutMs: number; intervalMs?: number; signal?: AbortSignal; onWait?: (probe: Probe) => void },
): Promise<Readiness> {
  const deadline = performance.now() + options.timeoutMs;
  let last: Probe | null = null;
  let tries = 0;
  for (;;) {
    options.signal?.throwIfAborted();
    const left = Math.max(1, deadline - performance.now());
    const cutShort = left < 5_000;
    const probe = await probeHealth(endpointUrl, "readiness", {
      timeoutMs: Math.min(5_000, left),
      signal: options.signal,
    });
    tries += 1;
    if (probe.state === "up") return { kind: "ready", status: probe.status };
    if (probe.state === "down" && (probe.status === 404 || probe.status === 405))
      return { kind: "no-readiness-route", status: probe.status };
    // A probe that only timed out because the deadline cut its time short says less than the answer before it.
    const truncatedWait = probe.state === "unreachable" && probe.reason === "timed out" && cutShort && last !== null;
    if (!truncatedWait) {
      if (last === null || last.state !== probe.state) options.onWait?.(probe);
      last = probe;
    }
    if (performance.now() >= deadline) {
      const shown = last ?? probe;
      const reason = shown.state === "unreachable" ? shown.reason : `/health/readiness answered HTTP ${shown.status}`;
      throw new EndpointUnreachable(endpointUrl, `not ready within ${options.timeoutMs} ms (${reason})`, tries);
    }
    await abortableSleep(
      Math.min(options.intervalMs ?? 500, Math.max(1, deadline - performance.now())),
      options.signal,
    );
  }
}
