import { describe, expect, test } from "bun:test";
import { aiderMessages, readListings, unclosedListing } from "./aiderProtocol.ts";
import { exerciseInstructions } from "./protocol.ts";
import { failedOutput, testFailureMessage } from "../../guidance/chat.ts";
import { buildMessages } from "../../guidance/prompt.ts";

describe("the baseline's whole-file replies, read as Aider reads them", () => {
  test("a listing after the file's name; a listing of the tests is ignored", () => {
    const reply =
      "Here:\n\ntwo_fer.py\n```python\ndef two_fer(name='you'):\n    return f'One for {name}, one for me.'\n```\n\ntwo_fer_test.py\n```python\nassert True\n```\n";
    expect(readListings(reply, ["two_fer.py"])).toEqual(
      new Map([["two_fer.py", "def two_fer(name='you'):\n    return f'One for {name}, one for me.'\n"]]),
    );
  });

  test("one file in the chat: a block that names no file is that file, the last such block winning", () => {
    const reply = "First:\n```python\nx = 1\n```\nBetter:\n```python\nx = 2\n```\n";
    expect(readListings(reply, ["a.py"]).get("a.py")).toBe("x = 2\n");
  });

  test("no block: not well-formed", () => {
    expect(readListings("I would change the loop.", ["a.py"]).size).toBe(0);
  });

  test("a reply cut inside its listing (its token cap): Aider writes what it has, so the baseline does", () => {
    const cut =
      "Here is the refactor:\n\nledger.py\n```python\ndef format_entries(currency, locale, entries):\n    table = ''\n    for _ in";
    expect(readListings(cut, ["ledger.py"])).toEqual(
      new Map([["ledger.py", "def format_entries(currency, locale, entries):\n    table = ''\n    for _ in"]]),
    );
    // A closed listing before the cut one: the cut one is the last listing of the file, so it wins.
    const twice = "ledger.py\n```\nx = 1\n```\nAgain:\n\nledger.py\n```\nx = ";
    expect(readListings(twice, ["ledger.py"]).get("ledger.py")).toBe("x = ");
    // Cut inside a listing of the tests: not an editable file, ignored as Aider's benchmark restores the tests.
    expect(readListings("ledger_test.py\n```\nimport ledger\n", ["ledger.py"]).size).toBe(0);
  });

  test("an unclosed block: named by the line before it, blank when none; null when every block closes", () => {
    expect(unclosedListing("a.py\n```\nx = 1\n```\n")).toBeNull();
    expect(unclosedListing("a.py\n```\nx = 1\n```\nb.py\n```python\ny = 2\n")).toEqual({
      name: "b.py",
      content: "y = 2\n",
    });
    expect(unclosedListing("```\ny = 2")).toEqual({ name: "", content: "y = 2" });
    for (const named of ["**b.py**", "b.py:", "`b.py`", "# b.py"])
      expect(unclosedListing(`${named}\n\`\`\`\ny = 2`)?.name).toBe("b.py");
    expect(readListings("Sure:\n\n```\ny = 2", ["a.py"]).get("a.py")).toBe("y = 2");
    expect(readListings("Sure:\n\n```\ny = 2", ["a.py", "b.py"]).size).toBe(0);
  });

  test("two files in the chat: an unnamed block is not guessed", () => {
    expect(readListings("```\nx\n```\n", ["a.py", "b.py"]).size).toBe(0);
  });

  test("the conversation: system rules, the files as they are now, the acknowledgement, then the turns", () => {
    const messages = aiderMessages(new Map([["a.py", "x = 1\n"]]), [{ role: "user", content: "do it" }]);
    expect(messages.map((m) => m.role)).toEqual(["system", "user", "assistant", "user"]);
    expect(messages[0]!.content).toContain("*file listing*");
    expect(messages[1]!.content).toEndWith("a.py\n```\nx = 1\n```");
    expect(messages[3]!.content).toBe("do it");
  });
  test("smol-coder's first attempt in the chat layout, with no spec, asks what the baseline's first try asks", () => {
    const files = new Map([["two_fer.py", "def two_fer(name):\n    pass\n"]]);
    const description = exerciseInstructions(["# Instructions\n\nSay one for you, one for me.\n"], "two_fer.py");
    const smolCoder = buildMessages({ description, files, verify: [], feedback: [], format: "whole", layout: "chat" });
    expect(smolCoder).toEqual(aiderMessages(files, [{ role: "user", content: description }]));
  });

  test("after a first reply whose tests failed, smol-coder's retry in the chat layout asks what the baseline's second try asks", () => {
    const files = new Map([["two_fer.py", "def two_fer(name):\n    pass\n"]]);
    const description = exerciseInstructions(["# Instructions\n\nSay one for you, one for me.\n"], "two_fer.py");
    const reply = "two_fer.py\n```\ndef two_fer(name='you'):\n    return 'One for you'\n```\n";
    const output =
      "$ python3 -m pytest -q two_fer_test.py\nF\nE   AssertionError: 'One for you' != 'One for Alice, one for me.'\n1 failed";
    const errors = ["two_fer_test.py:9: AssertionError"];
    const written = "def two_fer(name='you'):\n    return 'One for you'\n";
    const smolCoder = buildMessages({
      description,
      files,
      verify: [],
      feedback: [
        {
          attempt: 1,
          tier: "fast",
          kind: "verification_failed",
          diff: "--- a/two_fer.py",
          errors,
          exchange: { reply, notes: [], output: failedOutput(output), errors, files: { "two_fer.py": written } },
        },
      ],
      format: "whole",
      layout: "chat",
    });
    // The baseline wrote the reply's listing before its tests ran, and shows the file as it now is.
    const after = new Map([...files, ...readListings(reply, ["two_fer.py"])]);
    const baseline = aiderMessages(after, [
      { role: "user", content: description },
      { role: "assistant", content: reply },
      { role: "user", content: testFailureMessage(failedOutput(output), "two_fer.py") },
    ]);
    expect(smolCoder).toEqual(baseline);
  });

  test("a refused reply's retry says why first, then what the checks say of the files as they stand", () => {
    const files = new Map([["a.py", "x = 1\n"]]);
    const messages = buildMessages({
      description: "make x 2",
      files,
      verify: [],
      feedback: [
        {
          attempt: 1,
          tier: "fast",
          kind: "patch_rejected",
          diff: null,
          errors: ["patch rejected: no edit found in the reply", "a_test.py:3: assert 1 == 2"],
          exchange: {
            reply: "Sure, I will edit a.py.",
            notes: ["patch rejected: no edit found in the reply"],
            output: "$ pytest\nE assert 1 == 2",
            errors: ["a_test.py:3: assert 1 == 2"],
          },
        },
      ],
      format: "whole",
      layout: "chat",
    });
    expect(messages.map((m) => m.role)).toEqual(["system", "user", "assistant", "user", "assistant", "user"]);
    expect(messages[4]!.content).toBe("Sure, I will edit a.py.");
    expect(messages[5]!.content).toStartWith("patch rejected: no edit found in the reply\n\nE assert 1 == 2\n");
    expect(messages[5]!.content).toEndWith("Fix the code in a.py to resolve the errors.");
    expect(messages[3]!.content).toBe("make x 2");
  });
});
