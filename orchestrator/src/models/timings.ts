// Pure: the model server's own compute time for a call, from the `timings` llama.cpp's server adds to a chat
// completion (LiteLLM passes it on). Latency counts the queue at a busy server and the network; this counts the
// prompt's evaluation and the reply's generation only, so two arms that shared one server compare fairly.
import { z } from "zod";

const ServerTimings = z.object({
  prompt_ms: z.number().finite().min(0),
  predicted_ms: z.number().finite().min(0),
});

/** Pure: milliseconds the server computed for the call (prompt + generation), or null when it did not say. */
export function serverComputeMs(completion: unknown): number | null {
  if (typeof completion !== "object" || completion === null || !("timings" in completion)) return null;
  const timings = ServerTimings.safeParse(completion.timings);
  return timings.success ? Math.round(timings.data.prompt_ms + timings.data.predicted_ms) : null;
}
