import { describe, expect, test } from "bun:test";
import { frontierCheck } from "./tiers.ts";

describe("frontier tier", () => {
  test.each([
    [
      "the local stack without a key",
      [
        { alias: "reviewer", model: "openai/qwen2.5-coder-1.5b-instruct", apiBase: "http://127.0.0.1:8082/v1" },
        { alias: "mentor", model: "openai/qwen2.5-coder-1.5b-instruct", apiBase: "http://127.0.0.1:8082/v1" },
      ],
      "warn",
    ],
    [
      "Ollama behind them",
      [{ alias: "reviewer", model: "ollama_chat/qwen2.5-coder:14b", apiBase: "http://gpu:11434" }],
      "warn",
    ],
    [
      "a frontier model",
      [
        { alias: "reviewer", model: "anthropic/claude-sonnet-4-5", apiBase: null },
        { alias: "mentor", model: "anthropic/claude-sonnet-4-5", apiBase: null },
      ],
      "ok",
    ],
    ["nothing said", [], "skip"],
  ] as const)("%s: %s", (_name, deployments, status) => {
    const check = frontierCheck(deployments);
    expect(check.status).toBe(status);
    if (status === "warn") expect(check.detail).toContain("no frontier tier");
  });
});
