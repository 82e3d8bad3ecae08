// Ctrl-C and SIGTERM as an AbortSignal, for the commands that stop cleanly: running work stops, workspaces are
// restored, servers that stack up had started are stopped.

/** Aborts on the first SIGINT/SIGTERM. */
export function interruptSignal(): AbortSignal {
  const controller = new AbortController();
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => controller.abort());
  return controller.signal;
}
