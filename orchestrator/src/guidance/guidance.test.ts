import { describe, expect, test } from "bun:test";
import {
  checkpointDue,
  cleanSpec,
  mentorMessages,
  parseCheckpoint,
  renderGuidance,
  SPEC_PROMPT_VERSION,
  specKey,
  specMessages,
  stageFor,
} from "./guidance.ts";
import type { Checkpoint } from "../types.ts";

const FULL_REPLY = [
  "Looking at the attempts:",
  "## Failing-test analysis",
  "check(candidate) failed: f([1, 2]) returned 2, expected 3.",
  "## Root cause",
  "The loop stops one element early.",
  "## Proposed fix",
  "Iterate over every element.",
  "## Edge cases to verify",
  "Empty list; one element.",
  "## Strategy",
  "Accumulate a running total.",
  "## Test criteria",
  "f([1, 2]) -> 3",
].join("\n");

const checkpoint = (n: number, sections: Partial<Checkpoint["sections"]>): Checkpoint => ({
  n,
  afterAttempt: n * 2,
  fromTier: "fast",
  toTier: "deep",
  stage: stageFor(n),
  sections: {
    analysis: `analysis ${n}`,
    rootCause: `cause ${n}`,
    fix: `fix ${n}`,
    edgeCases: `edges ${n}`,
    ...sections,
  },
});

describe("stageFor", () => {
  test("1 → strategy, 2 → test criteria, 3 and later → debugging only", () => {
    expect([1, 2, 3, 4, 10].map(stageFor)).toEqual([
      "strategy",
      "test-criteria",
      "debugging",
      "debugging",
      "debugging",
    ]);
  });
});

describe("parseCheckpoint", () => {
  test("the four parts, plus strategy at checkpoint 1", () => {
    const sections = parseCheckpoint(FULL_REPLY, "strategy");
    expect(sections.analysis).toBe(
      "Looking at the attempts:\ncheck(candidate) failed: f([1, 2]) returned 2, expected 3.",
    );
    expect(sections.rootCause).toBe("The loop stops one element early.");
    expect(sections.fix).toBe("Iterate over every element.");
    expect(sections.edgeCases).toBe("Empty list; one element.");
    expect(sections.strategy).toBe("Accumulate a running total.");
    expect(sections.testCriteria).toBeUndefined();
  });

  test("test criteria only at checkpoint 2", () => {
    const sections = parseCheckpoint(FULL_REPLY, "test-criteria");
    expect(sections.testCriteria).toBe("f([1, 2]) -> 3");
    expect(sections.strategy).toBeUndefined();
  });

  test("checkpoint 3 and later add nothing new", () => {
    const sections = parseCheckpoint(FULL_REPLY, "debugging");
    expect(sections.strategy).toBeUndefined();
    expect(sections.testCriteria).toBeUndefined();
    expect(sections.rootCause).toBe("The loop stops one element early.");
  });

  test("bold headings and other heading levels are read too", () => {
    const sections = parseCheckpoint("**Root cause:**\noff by one\n### Proposed Fix\nloop to the end", "debugging");
    expect(sections.rootCause).toBe("off by one");
    expect(sections.fix).toBe("loop to the end");
  });

  test("a reply with no headings is kept whole as the analysis", () => {
    expect(parseCheckpoint("just prose", "strategy")).toEqual({
      analysis: "just prose",
      rootCause: "",
      fix: "",
      edgeCases: "",
    });
  });
});

describe("cleanSpec", () => {
  test("fenced code is removed whatever the model wrote", () => {
    const spec = cleanSpec(
      "## Contract\nf(xs) returns an int.\n\n```python\ndef f(xs):\n    return sum(xs)\n```\n\nMore prose.",
    );
    expect(spec).not.toContain("def f");
    expect(spec).toContain("f(xs) returns an int.");
    expect(spec).toContain("More prose.");
  });
});

describe("renderGuidance", () => {
  test("nothing to show → empty", () => {
    expect(renderGuidance({ spec: null, checkpoints: [] }, 3)).toBe("");
  });

  test("spec first, then checkpoint 1's strategy and checkpoint 2's criteria, which stay after later checkpoints", () => {
    const guidance = {
      spec: "THE SPEC",
      checkpoints: [
        checkpoint(1, { strategy: "STRATEGY ONE" }),
        checkpoint(2, { testCriteria: "CRITERIA TWO" }),
        checkpoint(3, {}),
        checkpoint(4, {}),
        checkpoint(5, {}),
      ],
    };
    const text = renderGuidance(guidance, 2);
    expect(text.indexOf("THE SPEC")).toBeLessThan(text.indexOf("STRATEGY ONE"));
    expect(text.indexOf("STRATEGY ONE")).toBeLessThan(text.indexOf("CRITERIA TWO"));
    // Only the latest two reviews' four parts are shown.
    expect(text).not.toContain("cause 3");
    expect(text).toContain("cause 4");
    expect(text).toContain("cause 5");
    expect(text).toContain("Mentor review 5 (after attempt 10)");
  });
});

describe("messages", () => {
  const input = { description: "Complete f", files: new Map([["solution.py", "def f(xs):\n    pass\n"]]) };

  test("the spec writer sees the task and files and is told not to give an algorithm", () => {
    const [system, user] = specMessages(input);
    expect(system!.content).toContain("Do not write an algorithm");
    expect(user!.content).toContain("Complete f");
    expect(user!.content).toContain("def f(xs):");
  });

  test("the mentor sees every attempt's diff and errors, and the stage's extra section", () => {
    const feedback = [1, 2, 3].map((attempt) => ({
      attempt,
      tier: "fast" as const,
      kind: "verification_failed" as const,
      diff: `--- a\n+++ b\n+diff ${attempt}\n`,
      errors: [`error ${attempt}`],
    }));
    const [system, user] = mentorMessages({
      ...input,
      guidance: { spec: "S", checkpoints: [] },
      feedback,
      stage: "strategy",
    });
    expect(system!.content).toContain("## Strategy");
    expect(system!.content).not.toContain("## Test criteria");
    for (const n of [1, 2, 3]) {
      expect(user!.content).toContain(`+diff ${n}`);
      expect(user!.content).toContain(`error ${n}`);
    }
    const [second] = mentorMessages({
      ...input,
      guidance: { spec: "S", checkpoints: [] },
      feedback,
      stage: "test-criteria",
    });
    expect(second!.content).toContain("## Test criteria");
    const [third] = mentorMessages({
      ...input,
      guidance: { spec: "S", checkpoints: [] },
      feedback,
      stage: "debugging",
    });
    expect(third!.content).not.toContain("## Strategy");
    expect(third!.content).not.toContain("## Test criteria");
  });

  test("specKey changes with the problem text and the model, not with map order", () => {
    const a = specKey(input, "spec-writer");
    expect(specKey({ ...input }, "spec-writer")).toBe(a);
    expect(specKey({ ...input, description: "Complete g" }, "spec-writer")).not.toBe(a);
    expect(specKey(input, "other-model")).not.toBe(a);
    const two = new Map([
      ["a.py", "1"],
      ["b.py", "2"],
    ]);
    const reversed = new Map([
      ["b.py", "2"],
      ["a.py", "1"],
    ]);
    expect(specKey({ description: "x", files: two }, "m")).toBe(specKey({ description: "x", files: reversed }, "m"));
    expect(SPEC_PROMPT_VERSION).toMatch(/^[0-9a-f]{12}$/);
  });
});

describe("checkpointDue", () => {
  test("always at an escalation", () => {
    expect(checkpointDue({ escalating: true, failuresAtTier: 1, interval: 0 })).toBe(true);
  });

  test("with no interval, never within a tier", () => {
    expect(
      [1, 2, 5, 10].some((failuresAtTier) => checkpointDue({ escalating: false, failuresAtTier, interval: 0 })),
    ).toBe(false);
  });

  test("every K failures within a tier", () => {
    const due = Array.from({ length: 12 }, (_, i) => i + 1).filter((failuresAtTier) =>
      checkpointDue({ escalating: false, failuresAtTier, interval: 5 }),
    );
    expect(due).toEqual([5, 10]);
  });
});

describe("the edit format's example names a file the task owns", () => {
  test("whole-file: the owned path and its language, never a made-up path", async () => {
    const { buildMessages } = await import("./prompt.ts");
    const messages = buildMessages({
      description: "the task",
      files: new Map([["solution.py", "x = 1\n"]]),
      verify: ["pytest"],
      feedback: [],
      format: "whole",
    });
    // One user message, no system message: the model's template keeps its own system prompt. Task first, format last.
    expect(messages.map((message) => message.role)).toEqual(["user"]);
    const text = messages[0]!.content;
    expect(text).toContain("solution.py\n```python\n...the whole file...\n```");
    expect(text).not.toContain("src/example.py");
    expect(text.indexOf("the task")).toBeLessThan(text.indexOf("x = 1"));
    expect(text.indexOf("x = 1")).toBeLessThan(text.indexOf("...the whole file..."));
    const ts = buildMessages({
      description: "d",
      files: new Map([["src/math.ts", "x\n"]]),
      verify: ["tsc"],
      feedback: [],
      format: "whole",
    })[0]!.content;
    expect(ts).toContain("src/math.ts\n```ts\n");
  });

  test("a retry's prompt starts with the first attempt's up to the end of the files, so the server's prompt cache serves it", async () => {
    const { buildMessages } = await import("./prompt.ts");
    const base = {
      description: "the task",
      files: new Map([["solution.py", "x = 1\n"]]),
      verify: ["pytest"],
      format: "whole" as const,
    };
    const first = buildMessages({ ...base, feedback: [] })[0]!.content;
    const retry = buildMessages({
      ...base,
      feedback: [{ attempt: 1, tier: "fast", kind: "verification_failed", diff: null, errors: ["boom"] }],
      guidance: "# Guidance\nthe spec",
    })[0]!.content;
    const filesEnd = first.indexOf("x = 1\n```") + "x = 1\n```".length;
    expect(retry.slice(0, filesEnd)).toBe(first.slice(0, filesEnd));
    expect(retry.indexOf("the spec")).toBeGreaterThan(filesEnd);
    expect(retry.indexOf("the spec")).toBeLessThan(retry.indexOf("boom"));
  });

  test("plain layout: the task, the files as the listings a reply repeats, the reply's form; a retry keeps the same start", async () => {
    const { buildMessages } = await import("./prompt.ts");
    const base = {
      description: "Add two numbers.",
      files: new Map([["adder.py", "def add(a, b):\n    pass\n"]]),
      verify: ["pytest"],
      format: "whole" as const,
      layout: "plain" as const,
    };
    const first = buildMessages({ ...base, feedback: [] })[0]!.content;
    // One file, whole files: asked as the model's makers ask, the task and the file, the form unsaid.
    expect(first).toBe("Add two numbers.\n\nadder.py\n```python\ndef add(a, b):\n    pass\n```\n");
    const two = buildMessages({
      ...base,
      files: new Map([
        ["adder.py", "x\n"],
        ["util.py", "y\n"],
      ]),
      feedback: [],
    })[0]!.content;
    expect(two).toStartWith(
      "Add two numbers.\n\nadder.py\n```python\nx\n```\n\nutil.py\n```python\ny\n```\n\nReply with the complete new content of each file you change",
    );
    expect(two).toEndWith("Change only adder.py, util.py, and keep the change as small as the task allows.");
    expect(first).not.toContain("# Task");
    const retry = buildMessages({
      ...base,
      feedback: [{ attempt: 1, tier: "fast", kind: "verification_failed", diff: null, errors: ["boom"] }],
    })[0]!.content;
    const filesEnd = first.indexOf("pass\n```") + "pass\n```".length;
    expect(retry.slice(0, filesEnd)).toBe(first.slice(0, filesEnd));
    expect(retry).toContain("- boom");
    const diff = buildMessages({ ...base, format: "udiff", feedback: [] })[0]!.content;
    expect(diff).toContain("`--- a/PATH`");
  });

  test("plain layout: a file is shown byte for byte, its runs of blank lines kept", async () => {
    const { buildMessages } = await import("./prompt.ts");
    const file = "\n\nimport math\n\n\ndef area(r):\n    pass\n";
    const prompt = buildMessages({
      description: "Area.",
      files: new Map([["circle.py", file]]),
      verify: [],
      format: "whole",
      layout: "plain",
      feedback: [],
      guidance: "Spec:\n\n\n- x",
    })[0]!.content;
    expect(prompt).toContain(`circle.py\n\`\`\`python\n${file}\`\`\``);
    expect(prompt).toContain("Spec:\n\n\n- x");
    expect(prompt).not.toContain("\u0000");
  });
  test("chat layout: the whole-file coder's rules, the files acknowledged, then the task; a retry adds the history", async () => {
    const { buildMessages } = await import("./prompt.ts");
    const { wholeFileChat } = await import("./chat.ts");
    const files = new Map([["adder.py", "def add(a, b):\n    pass\n"]]);
    const base = { description: "Add two numbers.", files, verify: ["pytest"], format: "udiff" as const };
    const first = buildMessages({ ...base, layout: "chat", feedback: [] });
    // The first attempt asks what the Exercism baseline's first try asks: the same conversation, turn for turn.
    expect(first).toEqual(wholeFileChat(files, [{ role: "user", content: "Add two numbers." }]));
    expect(first.map((m) => m.role)).toEqual(["system", "user", "assistant", "user"]);
    expect(first[0]!.content).toContain("*file listing*");
    expect(first[1]!.content).toEndWith("adder.py\n```\ndef add(a, b):\n    pass\n```");
    const retry = buildMessages({
      ...base,
      layout: "chat",
      guidance: "# Guidance\nthe spec",
      feedback: [{ attempt: 1, tier: "fast", kind: "verification_failed", diff: null, errors: ["boom"] }],
    });
    expect(retry.slice(0, 3)).toEqual(first.slice(0, 3));
    const request = retry[3]!.content;
    expect(request).toStartWith("Add two numbers.\n\n# Guidance\nthe spec\n\n# Earlier attempts");
    expect(request).toEndWith("- boom");
  });
});
