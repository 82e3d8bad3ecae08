import { describe, expect, test } from "bun:test";
import { backendChoice, configFromFlags, portNumber, positiveInt, wholeNumber } from "./options.ts";

describe("argument parsers", () => {
  test("ports and backends are checked", () => {
    expect(portNumber("4000")).toBe(4000);
    for (const bad of ["0", "65536", "40.5", "x"]) expect(() => portNumber(bad)).toThrow("expected a TCP port");
    expect(backendChoice("llama")).toBe("llama");
    expect(() => backendChoice("docker")).toThrow("expected one of auto, ollama, llama");
  });

  test("counts", () => {
    expect(positiveInt("3")).toBe(3);
    expect(() => positiveInt("0")).toThrow("at least 1");
    expect(wholeNumber("0")).toBe(0);
    expect(() => wholeNumber("-1")).toThrow("0 or more");
  });
});

describe("configFromFlags", () => {
  test("only flags that were given become config; --no-spec and --no-checkpoints turn guidance off", () => {
    expect(configFromFlags({ spec: true, checkpoints: true })).toEqual({
      policy: {},
      endpoint: {},
      verify: {},
      patch: {},
      guidance: {},
    });
    expect(
      configFromFlags({ maxAttempts: 3, spec: false, checkpoints: false, db: "/x.db", unsafeNoSandbox: true }),
    ).toEqual({
      policy: { maxAttempts: 3 },
      endpoint: {},
      verify: {},
      patch: {},
      guidance: { spec: false, checkpoints: false },
      db: "/x.db",
      sandbox: { enabled: false },
    });
  });
});
