// What one probe of an HTTP route found: plain data, so doctor's verdicts stay pure.
export type Probe =
  /** The route answered 2xx. */
  | { state: "up"; status: number; body: unknown; ms: number }
  /** The route answered, but not 2xx: 404 means the endpoint is not a LiteLLM proxy (no such route). */
  | { state: "down"; status: number; body: unknown; ms: number }
  /** Nothing answered: refused, reset, DNS, timeout. */
  | { state: "unreachable"; reason: string; ms: number };
