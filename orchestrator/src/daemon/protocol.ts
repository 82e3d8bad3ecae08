// The daemon's HTTP API, as zod schemas shared by the server and its clients: every body is parsed on arrival.
import { z } from "zod";
import { QueueEntry, QueueState } from "../queue/queue.ts";

export { Submission } from "../queue/queue.ts";
export const API = "/v1";

/** A task as the API shows it: the queue's entry, with its place in line while it waits. */
export const TaskView = QueueEntry.extend({ position: z.number().int().nullable() });
export type TaskView = z.infer<typeof TaskView>;
export const TaskList = z.object({ tasks: z.array(TaskView) });

export const Health = z.object({
  version: z.string(),
  pid: z.number().int(),
  startedAt: z.string(),
  queue: z.record(QueueState, z.number().int()),
  running: z.number().int(),
  maxTasks: z.number().int(),
});
export type Health = z.infer<typeof Health>;

/** Every refusal: a stable name (TaskInvalid, TaskNotFound, QueueFull, BadRequest, Draining), one line, the fix. */
export const ErrorBody = z.object({ error: z.string(), message: z.string() });
export type ErrorBody = z.infer<typeof ErrorBody>;
