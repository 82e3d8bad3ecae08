import { describe, expect, test } from "bun:test";
import { serverComputeMs } from "./timings.ts";

describe("the server's compute time", () => {
  test("llama.cpp's timings as LiteLLM passes them on: prompt evaluation plus generation", () => {
    // Shape read off the local stack's proxy (fast-coder, a 5-token reply).
    const completion = {
      choices: [],
      timings: { cache_n: 0, prompt_n: 31, prompt_ms: 1255.618, predicted_n: 5, predicted_ms: 204.994 },
    };
    expect(serverComputeMs(completion)).toBe(1461);
  });

  test("no timings (a frontier model, Ollama) or timings of another shape: not known", () => {
    expect(serverComputeMs({ choices: [] })).toBeNull();
    expect(serverComputeMs({ timings: { prompt_ms: "12", predicted_ms: 3 } })).toBeNull();
    expect(serverComputeMs({ timings: { prompt_ms: -1, predicted_ms: 3 } })).toBeNull();
    expect(serverComputeMs({ timings: null })).toBeNull();
    expect(serverComputeMs(null)).toBeNull();
  });
});
