// What the daemon's end-to-end tests share: the TypeScript workspace with two stubs, the fake model's replies,
// a daemon per test on a socket of its own (killed after the test), and the CLI as a client of it.
import { afterEach } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { RecordedRequest } from "./fakeModel.ts";
import {
  diffReply,
  git,
  perTestResources,
  runCli,
  spawnCli,
  tempDir,
  tsWorkspace,
  type RunningCli,
} from "./helpers.ts";

export const MATH = "src/math.ts";
export const AVG = "src/avg.ts";
export const MATH_BEFORE = readFileSync(path.join(import.meta.dir, "fixtures", "ts-workspace", MATH), "utf8");
export const MATH_RIGHT = MATH_BEFORE.replace(
  '  throw new Error("not implemented");',
  "  return prices.reduce((sum, price) => sum + price, 0);",
);
export const MATH_WRONG = MATH_BEFORE.replace(
  '): number {\n  throw new Error("not implemented");',
  '): string {\n  return prices.join("+");',
);
export const AVG_BEFORE = 'export function average(xs: number[]): number {\n  throw new Error("not implemented");\n}\n';
export const AVG_RIGHT =
  "export function average(xs: number[]): number {\n  return xs.reduce((a, b) => a + b, 0) / xs.length;\n}\n";
export const AVG_WRONG = 'export function average(xs: number[]): string {\n  return "none";\n}\n';
export const TOTAL_TASK = {
  description: "Implement total() in src/math.ts so it sums the prices.",
  filesOwned: [MATH],
};
export const AVERAGE_TASK = { description: "Implement average() in src/avg.ts: the mean of xs.", filesOwned: [AVG] };

/** Fast answers wrong, deep right, for whichever function the prompt asks for; 0.3 s per call. */
export function reply(tier: "fast" | "deep") {
  return (request: RecordedRequest) => {
    const average = request.body.messages.some((message) => message.content.includes("Implement average()"));
    const [file, before, right, wrong] = average
      ? [AVG, AVG_BEFORE, AVG_RIGHT, AVG_WRONG]
      : [MATH, MATH_BEFORE, MATH_RIGHT, MATH_WRONG];
    return { reply: diffReply(file, before, tier === "fast" ? wrong : right), delayMs: 300 };
  };
}

export type Env = Record<string, string>;

export function client(args: string[], socket: string, env: Env, stdin?: string) {
  return runCli([...args, "--socket", socket], { env, stdin });
}

/** Per test file: its resources, and the daemons its tests start, killed after each test. */
export function daemonTestKit() {
  const resources = perTestResources();
  const daemons: RunningCli[] = [];
  afterEach(async () => {
    for (const daemon of daemons.splice(0)) {
      try {
        process.kill(daemon.pid, "SIGKILL");
      } catch {
        // already gone
      }
      await daemon.finished;
    }
  });

  /** The TypeScript fixture, with a second stub (average) whose wrong answer tsc also catches. */
  function workspace(): string {
    const dir = resources.track(tsWorkspace());
    writeFileSync(path.join(dir, AVG), AVG_BEFORE);
    writeFileSync(
      path.join(dir, "src", "useAvg.ts"),
      'import { average } from "./avg";\nexport const mean: number = average([1, 2]);\n',
    );
    git(dir, "add", "-A");
    git(dir, "commit", "-qm", "average stub");
    return dir;
  }

  function daemonEnv(): { socket: string; env: Env } {
    const dir = resources.track(tempDir("smol-daemon-"));
    return {
      socket: path.join(dir, "run", "daemon.sock"),
      env: { LITELLM_URL: resources.fake!.url, SMOL_CODER_DB: path.join(dir, "runs.db") },
    };
  }

  async function startDaemon(socket: string, env: Env): Promise<RunningCli> {
    const daemon = spawnCli(["serve", "--socket", socket], { env });
    daemons.push(daemon);
    await daemon.until((event) => event.event === "daemon_ready");
    return daemon;
  }

  return { resources, daemons, workspace, daemonEnv, startDaemon };
}
