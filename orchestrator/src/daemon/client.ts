// The daemon's client: what `submit`, `tasks`, `status`, `wait`, `cancel` and `logs` call, over the unix socket.
import type { z } from "zod";
import { DaemonRefused, DaemonUnreachable } from "../errors.ts";
import { connectionFailure } from "../models/health.ts";
import { API, ErrorBody, Health, TaskList, TaskView, type Submission } from "./protocol.ts";

export type DaemonClient = ReturnType<typeof daemonClient>;

/** Where the daemon is: its unix socket (a path), or its TCP listener with the bearer token. */
export type DaemonTarget = string | { url: string; token: string };

export function daemonClient(target: DaemonTarget) {
  const where = typeof target === "string" ? target : target.url;
  const base = typeof target === "string" ? "http://smol-coder" : target.url.replace(/\/+$/, "");
  async function send(method: string, route: string, body?: unknown): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(`${base}${API}${route}`, {
        ...(typeof target === "string" ? { unix: target } : {}),
        method,
        headers: {
          ...(body === undefined ? {} : { "content-type": "application/json" }),
          ...(typeof target === "string" ? {} : { authorization: `Bearer ${target.token}` }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        timeout: false,
      } as RequestInit);
    } catch (error) {
      throw new DaemonUnreachable(where, connectionFailure(error));
    }
    if (response.ok) return response;
    const text = await response.text();
    const refusal = ErrorBody.safeParse(
      (() => {
        try {
          return JSON.parse(text);
        } catch {
          return null;
        }
      })(),
    );
    throw refusal.success
      ? new DaemonRefused(refusal.data.error, refusal.data.message)
      : new DaemonRefused("BadResponse", `the daemon answered HTTP ${response.status}: ${text.slice(0, 200)}`);
  }
  const json = async <T>(schema: z.ZodType<T>, method: string, route: string, body?: unknown): Promise<T> =>
    schema.parse(await (await send(method, route, body)).json());

  return {
    /** The socket or URL, for messages. */
    where,
    health: () => json(Health, "GET", "/health"),
    submit: (submission: Submission) => json(TaskView, "POST", "/tasks", submission),
    list: (limit = 100) => json(TaskList, "GET", `/tasks?limit=${limit}`).then((list) => list.tasks),
    get: (id: string) => json(TaskView, "GET", `/tasks/${encodeURIComponent(id)}`),
    cancel: (id: string) => json(TaskView, "POST", `/tasks/${encodeURIComponent(id)}/cancel`),
    /** The task's event lines as they come; with follow, until the task has finished. */
    async *events(id: string, options: { follow: boolean; after?: number }): AsyncGenerator<string> {
      const response = await send(
        "GET",
        `/tasks/${encodeURIComponent(id)}/events?after=${options.after ?? 0}&follow=${options.follow ? 1 : 0}`,
      );
      const decoder = new TextDecoder();
      let pending = "";
      try {
        for await (const chunk of response.body!) {
          pending += decoder.decode(chunk, { stream: true });
          for (let end = pending.indexOf("\n"); end >= 0; end = pending.indexOf("\n")) {
            yield pending.slice(0, end);
            pending = pending.slice(end + 1);
          }
        }
      } catch (error) {
        throw new DaemonUnreachable(where, `the connection ended: ${connectionFailure(error)}`);
      }
      if (pending) yield pending;
    },
  };
}
