// Secret hygiene through the real CLI: what verification prints is scrubbed before a prompt, the log, the run
// store or --debug sees it; the current directory's .env and bunfig.toml do not configure smol-coder.
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { startFakeModel } from "./fakeModel.ts";
import { CLI, TEST_DB, diffReply, eventNames, perTestResources, runCli, tempDir, treeState } from "./helpers.ts";

const resources = perTestResources();
const CANARY = "sk-test-canary-1234567890";
// printf joins two halves: the command's own text (which every prompt lists) never holds the value, its output
// does. The value comes from the command, not the environment: verification never gets secrets.
const PRINT_CANARY = "printf 'config: api_key=%s%s\\n' sk-test-canary- 1234567890";
const TASK = JSON.stringify({
  description: "Make value.txt say good",
  filesOwned: ["value.txt"],
  verify: [`${PRINT_CANARY}; grep -qx good value.txt`],
});

function workspace(): string {
  const dir = resources.track(tempDir("smol-secrets-"));
  writeFileSync(path.join(dir, "value.txt"), "bad\n");
  return dir;
}

/** Every file under dir, as text. */
function filesUnder(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const full = path.join(dir, name);
    if (statSync(full).isFile()) out[name] = readFileSync(full, "latin1");
  }
  return out;
}

describe("verification output is scrubbed of the environment's secrets", () => {
  test("a failed check that prints a secret: the retry's prompt, the events, the store and --debug hold [REDACTED]", async () => {
    resources.fake = startFakeModel({
      replies: { "fast-coder": [diffReply("value.txt", "bad\n", "meh\n"), diffReply("value.txt", "bad\n", "good\n")] },
    });
    const dir = workspace();
    const records = resources.track(tempDir("smol-secrets-records-"));
    const debug = path.join(records, "debug");
    const result = await runCli(["--workspace", dir, "--debug", debug], {
      stdin: TASK,
      env: { LITELLM_URL: resources.fake.url, SMOL_TEST_API_KEY: CANARY, SMOL_CODER_DB: path.join(records, "runs.db") },
    });
    expect(result.exitCode).toBe(0);
    expect(result.events.at(-1)).toMatchObject({ event: "task_completed", totalAttempts: 2 });

    const retry = resources.fake
      .requestsFor("fast-coder")[1]!
      .body.messages.map((message) => message.content)
      .join("\n");
    expect(retry).toContain("api_key=[REDACTED]");
    expect(JSON.stringify(resources.fake.requests)).not.toContain(CANARY);

    expect(result.stdout + result.stderr).not.toContain(CANARY);
    const fail = result.events.find((event) => event.event === "verification_failed")!;
    expect(fail.errors).toContain("config: api_key=[REDACTED]");

    // The run store: the database and whatever SQLite keeps beside it, byte for byte.
    const store = filesUnder(records);
    const database = Object.entries(store).filter(([name]) => name.startsWith("runs.db"));
    expect(database.length).toBeGreaterThan(0);
    const bytes = database.map(([, text]) => text).join("");
    expect(bytes).not.toContain(CANARY);
    expect(bytes).toContain("api_key=[REDACTED]");

    const debugFiles = Object.entries(store).filter(([name]) => name.startsWith("debug"));
    expect(
      debugFiles.some(([name, text]) => name.endsWith("verification.txt") && text.includes("api_key=[REDACTED]")),
    ).toBe(true);
    for (const [name, text] of debugFiles)
      expect({ name, leaks: text.includes(CANARY) }).toEqual({ name, leaks: false });
  }, 30_000);
});

test("the CLI's one error line is scrubbed, for a bad argument and for an error it maps", async () => {
  const env = { SMOL_TEST_API_KEY: CANARY };
  const badFlag = await runCli(["--max-attempts", CANARY], { stdin: TASK, env });
  const badConfig = await runCli(["--config", `/nonexistent/${CANARY}.json`], { stdin: TASK, env });
  for (const result of [badFlag, badConfig]) {
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("[REDACTED]");
    expect(result.stdout + result.stderr).not.toContain(CANARY);
  }
}, 30_000);

describe("the current directory does not configure smol-coder", () => {
  test("a .env there is ignored: its endpoint, config file, key, log level and database are not used", async () => {
    resources.fake = startFakeModel({
      replies: {
        "fast-coder": [diffReply("value.txt", "bad\n", "good\n")],
        "dotenv-coder": [{ status: 500, message: "the .env's config was used" }],
      },
    });
    const dir = workspace();
    writeFileSync(
      path.join(dir, "dotenv-config.json"),
      JSON.stringify({ tiers: { fast: { model: "dotenv-coder" } }, endpoint: { maxRetries: 0 } }),
    );
    const dotenv = {
      LITELLM_URL: "http://127.0.0.1:1/v1",
      SMOL_CODER_DB: path.join(dir, "dotenv-runs.db"),
      SMOL_CODER_CONFIG: path.join(dir, "dotenv-config.json"),
      LITELLM_API_KEY: "sk-from-dotenv-0123456789",
      LOG_LEVEL: "silent",
    };
    writeFileSync(
      path.join(dir, ".env"),
      Object.entries(dotenv)
        .map(([name, value]) => `${name}=${value}\n`)
        .join(""),
    );
    // `bun run src/index.ts` from that directory: Bun loads the .env before smol-coder's code runs.
    const task = JSON.stringify({
      description: "Make value.txt say good",
      filesOwned: ["value.txt"],
      verify: ["grep -qx good value.txt"],
    });
    const result = await runCli(["--workspace", dir], {
      cwd: dir,
      stdin: task,
      env: { LITELLM_URL: resources.fake.url },
    });
    expect(result.exitCode).toBe(0);
    expect(eventNames(result)).toContain("task_completed");
    expect(readFileSync(path.join(dir, "value.txt"), "utf8")).toBe("good\n");
    expect(resources.fake.requestsFor("dotenv-coder")).toHaveLength(0);
    const [call] = resources.fake.requestsFor("fast-coder");
    expect(call?.authorization ?? "").not.toContain(dotenv.LITELLM_API_KEY);
    expect(existsSync(dotenv.SMOL_CODER_DB)).toBe(false);
  }, 30_000);

  test.each(["SIGTERM", "SIGINT"] as const)(
    "started again without the .env, the CLI still gets a %s sent to the first process: it restores and exits 130",
    async (signal) => {
      resources.fake = startFakeModel({ replies: { "fast-coder": [diffReply("value.txt", "bad\n", "changed\n")] } });
      const dir = workspace();
      writeFileSync(path.join(dir, ".env"), "LOG_LEVEL=silent\n");
      const before = treeState(dir);
      const task = JSON.stringify({ description: "change it", filesOwned: ["value.txt"], verify: ["sleep 30"] });
      const child = Bun.spawn(["bun", "run", CLI, "--no-log-file", "--workspace", dir], {
        cwd: dir,
        env: { ...process.env, LITELLM_URL: resources.fake.url, SMOL_CODER_DB: TEST_DB },
        stdin: new TextEncoder().encode(task),
        stdout: "pipe",
        stderr: "pipe",
      });
      let seen = "";
      const decoder = new TextDecoder();
      for await (const chunk of child.stdout) {
        seen += decoder.decode(chunk);
        if (seen.includes('"event":"verification_started"')) break;
      }
      expect(readFileSync(path.join(dir, "value.txt"), "utf8")).toBe("changed\n");
      child.kill(signal);
      expect(await child.exited).toBe(130);
      expect(treeState(dir)).toEqual(before);
    },
    30_000,
  );

  test("the smol-coder command (its shebang) neither preloads a bunfig.toml there nor reads a .env", async () => {
    const dir = resources.track(tempDir("smol-bunfig-"));
    const marker = path.join(dir, "preloaded");
    writeFileSync(
      path.join(dir, "preload.ts"),
      `require("node:fs").writeFileSync(${JSON.stringify(marker)}, "ran");\n`,
    );
    writeFileSync(path.join(dir, "bunfig.toml"), 'preload = ["./preload.ts"]\n');
    writeFileSync(path.join(dir, ".env"), "SMOL_CODER_CONFIG=/nonexistent/config.json\n");
    // Any script through plain `bun` there proves the planted preload works.
    writeFileSync(path.join(dir, "noop.ts"), "\n");
    const plain = Bun.spawnSync(["bun", path.join(dir, "noop.ts")], { cwd: dir });
    expect(plain.exitCode).toBe(0);
    expect(existsSync(marker)).toBe(true);
    Bun.spawnSync(["rm", marker]);
    const child = Bun.spawn([CLI, "--no-log-file", "runs", "--db", path.join(dir, "runs.db")], {
      cwd: dir,
      stdout: "pipe",
      stderr: "pipe",
    });
    const [code, stderr] = await Promise.all([child.exited, new Response(child.stderr).text()]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    expect(existsSync(marker)).toBe(false);
  }, 30_000);
});
