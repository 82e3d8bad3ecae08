// The daemon's HTTP server on its unix socket: routes, bodies parsed with the protocol's schemas, events streamed
// as NDJSON. It decides nothing itself: the queue orders, the scheduler runs.
import type { Server } from "bun";
import { ZodError } from "zod";
import { TaskInvalid } from "../errors.ts";
import { checkSubmission, type Datasets } from "./submission.ts";
import { QueueFull } from "../errors.ts";
import type { QueueEntry, TaskQueue } from "../queue/queue.ts";
import type { Config } from "../config/config.ts";
import { API, Submission, type ErrorBody, type Health, type TaskView } from "./protocol.ts";
import type { Scheduler } from "./scheduler.ts";
import { authorized } from "./token.ts";

export type ServerDeps = {
  config: Config;
  queue: TaskQueue;
  scheduler: Scheduler;
  health: () => Promise<Health>;
  /** Resolves when the task's state or events may have changed. */
  changed: (id: string) => Promise<void>;
  draining: () => boolean;
  metrics: () => Promise<{ text: string; contentType: string }>;
  datasets: Datasets;
};

const refuse = (status: number, error: string, message: string) =>
  Response.json({ error, message } satisfies ErrorBody, { status });
const FINISHED = new Set(["done", "cancelled"]);

async function view(queue: TaskQueue, entry: QueueEntry): Promise<TaskView> {
  return { ...entry, position: await queue.position(entry.id) };
}

async function submit(deps: ServerDeps, request: Request): Promise<Response> {
  if (deps.draining())
    return refuse(
      503,
      "Draining",
      "the daemon is shutting down and takes no new task. Fix: submit again once it has restarted",
    );
  // Checked now, against the real workspace or dataset, so that the client hears of a bad task at once (exit 2).
  const body = await checkSubmission(Submission.parse(await request.json()), deps.config, deps.datasets);
  const entry = await deps.queue.submit(body);
  deps.scheduler.wake();
  return Response.json(await view(deps.queue, entry), { status: 201 });
}

/** The task's event lines from `after` on; with follow, kept open until the task has finished and all are sent. */
function events(deps: ServerDeps, id: string, after: number, follow: boolean): Response {
  const encoder = new TextEncoder();
  let sent = after;
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      for (;;) {
        const change = deps.changed(id);
        // The state before the events: a task seen finished here has every event of its own already written.
        const entry = await deps.queue.get(id);
        const lines = await deps.queue.events(id, sent);
        if (lines.length > 0) {
          sent = lines.at(-1)!.n;
          controller.enqueue(encoder.encode(lines.map((event) => `${event.line.trimEnd()}\n`).join("")));
          return;
        }
        if (!follow || !entry || FINISHED.has(entry.state)) return controller.close();
        await change;
      }
    },
  });
  return new Response(stream, { headers: { "content-type": "application/x-ndjson" } });
}

async function route(deps: ServerDeps, request: Request): Promise<Response> {
  const url = new URL(request.url);
  const parts = url.pathname.startsWith(`${API}/`) ? url.pathname.slice(API.length + 1).split("/") : [];
  const method = request.method;
  if (method === "GET" && parts.join("/") === "health") return Response.json(await deps.health());
  if (method === "GET" && url.pathname === "/metrics") {
    const { text, contentType } = await deps.metrics();
    return new Response(text, { headers: { "content-type": contentType } });
  }
  if (parts[0] !== "tasks")
    return refuse(404, "NotFound", `no route ${method} ${url.pathname}. Fix: see the daemon's API in docs/daemon.md`);
  if (parts.length === 1 && method === "POST") return submit(deps, request);
  if (parts.length === 1 && method === "GET") {
    const limit = Math.min(1000, Math.max(1, Number(url.searchParams.get("limit") ?? 100) || 100));
    return Response.json({
      tasks: await Promise.all((await deps.queue.list(limit)).map((entry) => view(deps.queue, entry))),
    });
  }
  const id = parts[1]!;
  const entry = await deps.queue.get(id);
  if (!entry)
    return refuse(404, "TaskNotFound", `no task ${id} in this daemon's queue. Fix: smol-coder tasks lists them`);
  if (parts.length === 2 && method === "GET") return Response.json(await view(deps.queue, entry));
  if (parts.length === 3 && parts[2] === "events" && method === "GET") {
    return events(deps, id, Number(url.searchParams.get("after") ?? 0) || 0, url.searchParams.get("follow") === "1");
  }
  if (parts.length === 3 && parts[2] === "cancel" && method === "POST") {
    if (!(await deps.queue.cancelWaiting(id))) deps.scheduler.cancel(id);
    return Response.json(await view(deps.queue, (await deps.queue.get(id))!));
  }
  return refuse(405, "NotFound", `no route ${method} ${url.pathname}. Fix: see the daemon's API in docs/daemon.md`);
}

/** One clear refusal per bad request: the client prints its message and exits 2. */
function refusal(error: unknown): Response {
  if (error instanceof TaskInvalid) return refuse(400, "TaskInvalid", error.message);
  if (error instanceof ZodError) {
    const issue = error.issues[0]!;
    return refuse(
      400,
      "BadRequest",
      `the request body's ${issue.path.join(".") || "root"} ${issue.message.toLowerCase()}. Fix: see the daemon's API in docs/daemon.md`,
    );
  }
  if (error instanceof SyntaxError) return refuse(400, "BadRequest", `the request body is not JSON (${error.message})`);
  if (error instanceof QueueFull) return refuse(503, "QueueFull", error.message);
  throw error;
}

/** Where the server listens: its unix socket, or TCP, where every request must carry the bearer token. */
export type Listener = { unix: string } | { hostname: string; port: number; token: string };

export function startServer(
  deps: ServerDeps,
  listener: Listener,
  onError: (error: unknown) => void,
): Server<undefined> {
  const handle = async (request: Request) => {
    try {
      return await route(deps, request).catch(refusal);
    } catch (error) {
      onError(error);
      return refuse(500, "InternalError", "the daemon hit a bug; its log has the stack trace");
    }
  };
  // Bun closes a connection that sends nothing for 10 s by default: an event stream waiting on a model call a
  // local CPU model takes minutes over would be cut (measured: every `bench` problem of a real run). No idle limit.
  // Bun honours idleTimeout on a unix socket too (test/daemon.test.ts shows it); its types leave it out there.
  if ("unix" in listener)
    return Bun.serve({ unix: listener.unix, idleTimeout: 0, fetch: handle } as unknown as Parameters<
      typeof Bun.serve
    >[0]) as Server<undefined>;
  const { hostname, port, token } = listener;
  return Bun.serve({
    hostname,
    port,
    idleTimeout: 0,
    fetch: (request) =>
      authorized(request.headers.get("authorization"), token)
        ? handle(request)
        : refuse(
            401,
            "Unauthorized",
            "this request has no valid bearer token. Fix: send Authorization: Bearer with the token in the daemon's token file (SMOL_CODER_TOKEN)",
          ),
  });
}
