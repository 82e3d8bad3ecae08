// Ctrl-C and SIGTERM as an AbortSignal, for the commands that stop cleanly: running work stops, workspaces are
// restored, servers that stack up had started are stopped. The first signal aborts; a second one while that
// cleanup runs only says so (it would otherwise kill the process halfway through restoring the user's files);
// a third quits at once, for a user who would rather lose the cleanup than wait for it.
import { ExitCode } from "./errors.ts";

export type InterruptNotice = { signal: "SIGINT" | "SIGTERM"; count: number };
export type InterruptOptions = {
  /** Every signal received, e.g. to log an interrupt_received event. */
  onSignal?: (notice: InterruptNotice) => void;
  /** What the cleanup is, for the line a second signal prints ("restoring the workspace"). */
  cleanup?: string;
  say?: (line: string) => void;
  exit?: (code: number) => void;
};

/** Aborts on the first SIGINT/SIGTERM; the second is answered with a line; the third exits 130. */
export function interruptSignal(options: InterruptOptions = {}): AbortSignal {
  const controller = new AbortController();
  const say = options.say ?? ((line: string) => process.stderr.write(`${line}\n`));
  let count = 0;
  const received = (signal: InterruptNotice["signal"]) => {
    count += 1;
    options.onSignal?.({ signal, count });
    if (count === 1) controller.abort();
    else if (count === 2)
      say(
        `smol-coder: ${options.cleanup ?? "cleaning up"}, please wait (interrupt once more to quit at once, leaving it unfinished)`,
      );
    else (options.exit ?? process.exit)(ExitCode.interrupted);
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => received(signal));
  return controller.signal;
}
