// A real redis-server for a test file: Debian's, on a free loopback port, with the append-only file on and fsync
// on every write (nothing lost when it is killed), in a directory of its own. Tests that need it skip, with a
// warning, where no redis-server is installed (.ci/setup.sh installs it).
import { createServer } from "node:net";
import path from "node:path";
import { afterAll, beforeAll } from "bun:test";
import Redis from "ioredis";
import { tempDir } from "./helpers.ts";

export const REDIS_SERVER = Bun.which("redis-server");
if (!REDIS_SERVER) console.warn("SKIPPED the Redis tests: no redis-server (apt-get install redis-server)");

export type TestRedis = {
  url: string;
  port: number;
  dir: string;
  /** A client for the test's own reads (closed by stop). */
  client(): Redis;
  /** SIGKILL, as a crash would. */
  kill(): Promise<void>;
  /** Starts it again on the same port and files. */
  restart(): Promise<void>;
  stop(): Promise<void>;
};

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/** `password`: the server requires it (requirepass); url and client() carry it. */
export async function startRedis(options: { password?: string } = {}): Promise<TestRedis> {
  const port = await freePort();
  const dir = tempDir("smol-redis-");
  const clients: Redis[] = [];
  let child: ReturnType<typeof Bun.spawn> | undefined;
  const launch = async () => {
    child = Bun.spawn(
      [
        REDIS_SERVER!,
        ...["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--appendonly", "yes"],
        ...(options.password ? ["--requirepass", options.password] : []),
      ],
      { stdout: "ignore", stderr: "ignore" },
    );
    child.unref();
    const probe = new Redis({
      port,
      host: "127.0.0.1",
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      password: options.password,
    });
    probe.on("error", () => undefined); // refused until the server listens: tried again below
    for (let tries = 0; ; tries++) {
      try {
        await probe.connect();
        await probe.config("SET", "appendfsync", "always");
        break;
      } catch (error) {
        if (tries > 200) throw error;
        await Bun.sleep(25);
      }
    }
    probe.disconnect();
  };
  await launch();
  const stopChild = async () => {
    child?.kill("SIGKILL");
    await child?.exited;
  };
  return {
    url: `redis://${options.password ? `:${options.password}@` : ""}127.0.0.1:${port}`,
    port,
    dir: path.resolve(dir),
    client() {
      const client = new Redis({ port, host: "127.0.0.1", maxRetriesPerRequest: null, password: options.password });
      client.on("error", () => undefined); // a test that kills the server sees its effect on the queue, not here
      clients.push(client);
      return client;
    },
    kill: stopChild,
    restart: launch,
    async stop() {
      for (const client of clients.splice(0)) client.disconnect();
      await stopChild();
    },
  };
}

/** One server for a test file (started before its tests, stopped after), when redis-server is installed. */
export function redisForFile(): () => TestRedis {
  let redis: TestRedis | undefined;
  beforeAll(async () => {
    if (REDIS_SERVER) redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });
  return () => redis!;
}

/**
 * A TCP relay to a Redis, in a process of its own, that a test can cut (every connection dropped, new ones refused)
 * and restore: a network cut between one daemon and the Redis the others still reach.
 */
export async function cuttableRelay(
  target: number,
): Promise<{ url: string; cut(): void; restore(): void; stop(): void }> {
  const child = Bun.spawn(["bun", "run", path.join(import.meta.dir, "fixtures", "redisRelay.ts"), String(target)], {
    stdout: "pipe",
    stderr: "inherit",
  });
  const { value } = await child.stdout.getReader().read();
  const url = new TextDecoder().decode(value).trim();
  return {
    url,
    cut: () => child.kill("SIGUSR1"),
    restore: () => child.kill("SIGUSR2"),
    stop: () => child.kill("SIGKILL"),
  };
}
