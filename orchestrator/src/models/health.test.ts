import { afterEach, describe, expect, test } from "bun:test";
import { EndpointUnreachable } from "../errors.ts";
import { probeHealth, proxyRoot, waitUntilReady, type Probe } from "./health.ts";

const servers: { stop(force?: boolean): unknown }[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.stop(true);
});

/** A stand-in proxy whose /health/readiness answers `status()` and counts its hits. */
function healthServer(status: () => number, port = 0) {
  const hits: string[] = [];
  const server = Bun.serve({
    port,
    hostname: "127.0.0.1",
    fetch(request) {
      const path = new URL(request.url).pathname;
      hits.push(path);
      if (path === "/health/readiness") {
        const code = status();
        return Response.json(code === 200 ? { status: "healthy", db: "Not connected" } : { error: "starting" }, {
          status: code,
        });
      }
      return new Response("no route", { status: 404 });
    },
  });
  servers.push(server);
  return { url: `http://127.0.0.1:${server.port}/v1`, port: server.port, hits };
}

/** A port nothing listens on (bound, then released). */
function freePort(): number {
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const port = server.port!;
  server.stop(true);
  return port;
}

test("proxyRoot strips the OpenAI /v1 suffix and trailing slashes", () => {
  expect(proxyRoot("http://localhost:4000/v1")).toBe("http://localhost:4000");
  expect(proxyRoot("http://proxy:4000/v1/")).toBe("http://proxy:4000");
  expect(proxyRoot("https://h/litellm")).toBe("https://h/litellm");
});

describe("probeHealth", () => {
  test("up, down and unreachable are told apart", async () => {
    const up = healthServer(() => 200);
    expect(await probeHealth(up.url, "readiness")).toMatchObject({
      state: "up",
      status: 200,
      body: { status: "healthy" },
    });
    expect(up.hits).toEqual(["/health/readiness"]);
    const down = healthServer(() => 503);
    expect(await probeHealth(down.url, "readiness")).toMatchObject({ state: "down", status: 503 });
    expect(await probeHealth(`http://127.0.0.1:${freePort()}/v1`, "liveliness")).toMatchObject({
      state: "unreachable",
      reason: "connection refused",
    });
  });
});

describe("waitUntilReady", () => {
  test("a ready proxy answers at once; plain /health is never called", async () => {
    const proxy = healthServer(() => 200);
    expect(await waitUntilReady(proxy.url, { timeoutMs: 2000 })).toEqual({ kind: "ready", status: 200 });
    expect(proxy.hits).toEqual(["/health/readiness"]);
  });

  test("waits through 503s until the proxy is ready, reporting the wait once per state", async () => {
    let calls = 0;
    const proxy = healthServer(() => (++calls < 4 ? 503 : 200));
    const waits: Probe[] = [];
    const readiness = await waitUntilReady(proxy.url, {
      timeoutMs: 5000,
      intervalMs: 20,
      onWait: (probe) => waits.push(probe),
    });
    expect(readiness.kind).toBe("ready");
    expect(calls).toBe(4);
    expect(waits.map((probe) => probe.state)).toEqual(["down"]);
  });

  test("waits for a proxy that is not listening yet", async () => {
    const port = freePort();
    const waits: Probe[] = [];
    const started = performance.now();
    setTimeout(() => healthServer(() => 200, port), 300);
    const readiness = await waitUntilReady(`http://127.0.0.1:${port}/v1`, {
      timeoutMs: 5000,
      intervalMs: 50,
      onWait: (probe) => waits.push(probe),
    });
    expect(readiness.kind).toBe("ready");
    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
    expect(waits[0]).toMatchObject({ state: "unreachable", reason: "connection refused" });
  });

  test("an endpoint without the route (not LiteLLM) counts as ready", async () => {
    const plain = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch: () => new Response("not found", { status: 404 }),
    });
    servers.push(plain);
    expect(await waitUntilReady(`http://127.0.0.1:${plain.port}/v1`, { timeoutMs: 1000 })).toEqual({
      kind: "no-readiness-route",
      status: 404,
    });
  });

  test("never ready within the time: EndpointUnreachable naming the last answer", async () => {
    const proxy = healthServer(() => 503);
    const error = await waitUntilReady(proxy.url, { timeoutMs: 200, intervalMs: 20 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EndpointUnreachable);
    expect((error as EndpointUnreachable).reason).toBe("not ready within 200 ms (/health/readiness answered HTTP 503)");
  });

  test("an abort stops the wait", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const error = await waitUntilReady(`http://127.0.0.1:${freePort()}/v1`, {
      timeoutMs: 10_000,
      intervalMs: 20,
      signal: controller.signal,
    }).catch((e: unknown) => e);
    expect((error as Error).name).toBe("AbortError");
  });

  test("an abort during the pause between probes stops the wait there, not at the next probe", async () => {
    const proxy = healthServer(() => 503);
    const controller = new AbortController();
    const reason = new Error("interrupted between probes");
    // One probe, then a pause longer than the test's own time limit: only an abortable pause ends in time.
    const waiting = waitUntilReady(proxy.url, {
      timeoutMs: 600_000,
      intervalMs: 300_000,
      signal: controller.signal,
      onWait: () => setTimeout(() => controller.abort(reason), 20),
    });
    expect(await waiting.catch((e: unknown) => e)).toBe(reason);
    expect(proxy.hits).toEqual(["/health/readiness"]);
  });
});
