// The queue's connection to Redis: opened once and checked within a time limit (a Redis that does not answer is an
// unreachable endpoint, exit 3, its URL's password hidden), and what a restart of that Redis would lose.
import Redis from "ioredis";
import { redactRedisUrl } from "../config/sections.ts";
import { EndpointUnreachable } from "../errors.ts";

export async function connectQueueRedis(url: string, timeoutMs: number): Promise<Redis> {
  const redis = new Redis(url, { maxRetriesPerRequest: null, lazyConnect: true });
  let lastError = "";
  redis.on("error", (error: Error) => (lastError = error.message));
  const answered = await Promise.race([
    redis
      .connect()
      .then(() => redis.ping())
      .then(
        () => true,
        (error: Error) => {
          lastError ||= error.message;
          return false;
        },
      ),
    Bun.sleep(timeoutMs).then(() => false),
  ]);
  if (!answered) {
    redis.disconnect();
    throw new EndpointUnreachable(
      redactRedisUrl(url),
      `${lastError || `no answer within ${timeoutMs} ms`}. Fix: start that Redis (and check its password), or serve --queue sqlite`,
      1,
      "the queue's Redis",
    );
  }
  return redis;
}

/**
 * Why a restart of this Redis would lose the queue, or null: neither the append-only file nor snapshots are on. A
 * Redis that does not let its config be read (a managed one, an ACL) is taken at its word.
 */
export async function persistenceOf(redis: Redis): Promise<string | null> {
  try {
    const [, appendonly] = (await redis.config("GET", "appendonly")) as string[];
    const [, save] = (await redis.config("GET", "save")) as string[];
    if (appendonly === "yes" || (save ?? "").trim() !== "") return null;
    return "appendonly is no and snapshots are off: a restart of that Redis loses every queued and running task (turn on appendonly yes)";
  } catch {
    return null;
  }
}
