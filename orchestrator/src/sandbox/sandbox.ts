// The sandbox on this machine: finds bubblewrap, reads the host layout, picks how limits are enforced, and
// proves at start-up that jailing works (fail closed). Each verification asks it for a command line.
import { lstat, mkdtemp, readdir, readlink, realpath, rm, stat, writeFile } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import path from "node:path";
import { createLimitGroup, findCgroupRoots } from "./cgroup.ts";
import { openView, type Candidate, type WorkspaceView } from "./view.ts";
import { viewLauncher } from "./bwrap.ts";
import { SandboxUnavailable } from "../errors.ts";
import {
  coveringDirs,
  installationOf,
  isWithin,
  MASKED_PATHS,
  sandboxArgv,
  sandboxEnv,
  SYSTEM_PATHS,
  type HostLayout,
  type SandboxLimits,
} from "./bwrap.ts";

export type SandboxSettings = SandboxLimits & {
  /** Extra host paths the sandbox may read (tool installations PATH does not reveal). */
  readOnly: string[];
  /** Extra environment variable names passed through (never secret-looking ones: the config refuses those). */
  env: string[];
  /** Workspace paths or globs of secret-named files verification may read all the same (view.ts masks the rest). */
  expose: string[];
};
export type JailRequest = {
  workspace: string;
  writable: boolean;
  command: string[];
  /** Host paths this command needs besides the usual (the grader's python installation). */
  readOnly?: string[];
  /** The verification's view of a writable workspace (view.ts): writes land in it and are thrown away. */
  view?: WorkspaceView;
  limitAddressSpace?: boolean;
};
export type Jail = { argv: string[]; env: Record<string, string>; dispose(): Promise<void> };
export type Sandbox = {
  /** False only with --unsafe-no-sandbox. */
  enabled: boolean;
  /** One line for the start-up event: what isolates verification here. */
  description: string;
  jail(request: JailRequest): Promise<Jail>;
  /** A fresh view of the workspace for one verification (its commands share it), with a private edit on top; dispose it when it ends. */
  view(workspace: string, owned: string[], candidate?: Candidate): Promise<WorkspaceView>;
};

/** Directories inside a writable workspace that stay read-only during verification. */
export const PROTECTED_DIRS = [".git", "node_modules", ".venv", "venv"];
const FIX_INSTALL =
  "install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap), or pass --unsafe-no-sandbox on a machine you can afford to lose";
const FIX_VIEW =
  "enable unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1; Linux 5.11 or later for overlayfs in them), or run HumanEval tasks only";
const FIX_NPROC =
  "run smol-coder as a non-root user (RLIMIT_NPROC then caps processes), give root a writable pids+memory cgroup, or pass --unsafe-no-sandbox";

/** Opens the sandbox and runs its self-test; throws SandboxUnavailable when verification cannot be jailed. */
export async function openSandbox(settings: SandboxSettings, options: { unsafe: boolean }): Promise<Sandbox> {
  const hostPath = process.env.PATH ?? "/usr/bin:/bin";
  const env = sandboxEnv(process.env, { path: hostPath, passThrough: settings.env });
  const view = (workspace: string, owned: string[], candidate?: Candidate) =>
    openView({ workspace, owned, expose: settings.expose, candidate });
  if (options.unsafe) {
    // No jail, but still the view: code under test may write anywhere it likes except the workspace it is judged in.
    const viewProblem = await viewSelfTest((workspace, view, command) => ({
      argv: [...viewLauncher(workspace, view.dirs), ...command],
      env,
      dispose: async () => undefined,
    }));
    return {
      view,
      enabled: false,
      description: `none: --unsafe-no-sandbox (model-written code runs with your user's full access${viewProblem ? "; workspace tasks refused: no overlay here" : "; the workspace behind an overlay"})`,
      jail: async (request) => {
        if (!request.writable) return { argv: request.command, env, dispose: async () => undefined };
        if (viewProblem)
          throw new SandboxUnavailable(
            `--unsafe-no-sandbox cannot keep the files outside filesOwned unchanged here: ${viewProblem}`,
            FIX_VIEW,
          );
        if (!request.view) throw new Error("a writable workspace needs a view (openView) on this sandbox");
        return {
          argv: [...viewLauncher(request.workspace, request.view.dirs), ...request.command],
          env,
          dispose: async () => undefined,
        };
      },
    };
  }
  const bwrap = process.env.SMOL_CODER_BWRAP || Bun.which("bwrap");
  if (!bwrap) throw new SandboxUnavailable("bubblewrap (bwrap) is not installed", FIX_INSTALL);
  if (
    !(await stat(bwrap).then(
      (info) => info.isFile() && (info.mode & 0o111) !== 0,
      () => false,
    ))
  ) {
    throw new SandboxUnavailable(`${bwrap} (SMOL_CODER_BWRAP) is not an executable file`, FIX_INSTALL);
  }
  const layout = await hostLayout();
  const tools = await toolInstallations(hostPath.split(":"));
  const isRoot = process.getuid?.() === 0;
  const roots = await findCgroupRoots();
  if (isRoot && !roots)
    throw new SandboxUnavailable(
      "running as root with no writable pids and memory cgroup, so nothing caps processes",
      FIX_NPROC,
    );
  const sandbox: Sandbox = {
    view,
    enabled: true,
    description: `bubblewrap (${bwrap}); processes and memory capped by ${roots ? `cgroup v${roots.version}` : "rlimits"}`,
    async jail(request) {
      const group = roots ? await createLimitGroup(roots, settings) : null;
      // Git metadata and installed dependencies: code under test must not rewrite hooks or the test runner.
      const protect = await existing(PROTECTED_DIRS.map((name) => path.join(request.workspace, name)));
      const extra = await Promise.all(
        [...settings.readOnly, ...(request.readOnly ?? [])].map((p) => realpath(p).catch(() => null)),
      );
      if (request.writable && !request.view)
        throw new Error("a writable workspace needs a view (openView): verification must not write the real one");
      const spec = {
        workspace: request.workspace,
        writable: request.writable,
        protect: request.writable ? protect : [],
        readOnly: coveringDirs([...tools, ...extra.filter((p): p is string => p !== null)]).filter(
          (dir) => !isWithin(request.workspace, dir),
        ),
        limits: settings,
        limitAddressSpace: request.limitAddressSpace ?? false,
        cgroupProcs: group?.procs ?? [],
        view: request.writable ? request.view : undefined,
        ids: { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 },
        command: request.command,
      };
      return { argv: sandboxArgv(spec, layout, bwrap), env, dispose: async () => group?.dispose() };
    },
  };
  await selfTest(sandbox);
  return sandbox;
}

async function existing(paths: string[]): Promise<string[]> {
  const found = await Promise.all(
    paths.map((p) =>
      lstat(p).then(
        (info) => (info.isDirectory() ? p : null),
        () => null,
      ),
    ),
  );
  return found.filter((p): p is string => p !== null);
}

export async function hostLayout(): Promise<HostLayout> {
  const system: HostLayout["system"] = [];
  for (const p of SYSTEM_PATHS) {
    const info = await lstat(p).catch(() => null);
    if (!info) continue;
    system.push(info.isSymbolicLink() ? { path: p, symlinkTo: await readlink(p) } : { path: p });
  }
  const masked: HostLayout["masked"] = [];
  for (const p of MASKED_PATHS) {
    const info = await stat(p).catch(() => null);
    if (info) masked.push({ path: p, isDir: info.isDirectory() });
  }
  return { system, masked };
}

/**
 * The installations behind PATH: each entry's own (its realpath, `bin` stripped; only the directory itself inside
 * a home directory) and those its symlinks point into (a virtualenv's python3 links to the interpreter's prefix).
 * System paths are already bound.
 */
export async function toolInstallations(pathEntries: string[]): Promise<string[]> {
  const found: string[] = [];
  for (const entry of pathEntries) {
    if (!entry || !path.isAbsolute(entry)) continue;
    const real = await realpath(entry).catch(() => null);
    if (
      !real ||
      !(await stat(real).then(
        (info) => info.isDirectory(),
        () => false,
      ))
    )
      continue;
    // Inside a home directory only the bin directory itself: ~/.cargo/bin must not expose ~/.cargo/credentials.
    if (isWithin(real, homedir())) found.push(real);
    else found.push(installationOf(entry, homedir()), installationOf(real, homedir()));
    const names = await readdir(real).catch(() => [] as string[]);
    if (names.length > 5_000) continue;
    for (const name of names) {
      const full = path.join(real, name);
      const info = await lstat(full).catch(() => null);
      if (!info?.isSymbolicLink()) continue;
      const target = await realpath(full).catch(() => null);
      if (target) found.push(installationOf(path.dirname(target), homedir()));
    }
  }
  return coveringDirs(found);
}

/** Runs one probe command in a fresh probe workspace through `jail`, and what the real workspace holds afterwards. */
async function probe(
  jail: (workspace: string, view: WorkspaceView, command: string[]) => Promise<Jail> | Jail,
  script: (paths: { workspace: string; canary: string }) => string,
): Promise<{ code: number; out: string; err: string; leaked: boolean; secretIntact: boolean }> {
  const outside = await mkdtemp(path.join(tmpdir(), "smol-sandbox-test-"));
  const workspace = path.join(outside, "workspace");
  const canary = path.join(outside, "canary");
  let view: WorkspaceView | null = null;
  try {
    await Bun.write(path.join(workspace, ".keep"), "");
    await Bun.write(path.join(workspace, ".env"), "SECRET=canary-secret\n");
    await writeFile(canary, "canary");
    view = await openView({ workspace, owned: [], expose: [] });
    const jailed = await jail(workspace, view, ["/bin/sh", "-c", script({ workspace, canary })]);
    const child = Bun.spawn(jailed.argv, {
      cwd: workspace,
      env: jailed.env,
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
    const [code, out, err] = await Promise.all([
      child.exited,
      new Response(child.stdout).text(),
      new Response(child.stderr).text(),
    ]);
    await jailed.dispose();
    const leaked = await lstat(path.join(workspace, "probe")).then(
      () => true,
      () => false,
    );
    const secretIntact = (await Bun.file(path.join(workspace, ".env")).text()) === "SECRET=canary-secret\n";
    return { code, out, err, leaked, secretIntact };
  } finally {
    await view?.dispose();
    await rm(outside, { recursive: true, force: true });
  }
}

/** Whether the workspace view works without the jail (--unsafe-no-sandbox); null when it does, else why not. */
async function viewSelfTest(
  jail: (workspace: string, view: WorkspaceView, command: string[]) => Jail,
): Promise<string | null> {
  const result = await probe(jail, ({ workspace }) => `echo ok > ${workspace}/probe && cat ${workspace}/probe`).catch(
    (error: unknown) => ({ code: -1, out: "", err: String(error), leaked: false, secretIntact: true }),
  );
  if (result.code !== 0 || !result.out.includes("ok"))
    return `the overlay could not be mounted (${result.err.trim().split("\n").at(-1) ?? `exit ${result.code}`})`;
  return result.leaked ? "a write inside the overlay reached the real workspace" : null;
}

/** Jails a probe and checks what it could do. Any surprise refuses to start: verification must not run unjailed. */
async function selfTest(sandbox: Sandbox): Promise<void> {
  const { code, out, err, leaked, secretIntact } = await probe(
    (workspace, view, command) => sandbox.jail({ workspace, writable: true, view, command }),
    ({ workspace, canary }) =>
      [
        `echo ok > ${workspace}/probe && echo "workspace-writable"`,
        `grep -q canary-secret ${workspace}/.env 2>/dev/null && echo secret-visible`,
        `echo tampered > ${workspace}/.env 2>/dev/null`,
        "touch /usr/.smol-probe 2>/dev/null && echo usr-writable",
        `cat ${canary} 2>/dev/null && echo canary-visible`,
        'echo "net=$(($(wc -l < /proc/net/dev) - 2))"',
        'echo "pid=$$"',
      ].join("; "),
  );
  const problems: string[] = [];
  if (code !== 0 || !out.includes("workspace-writable"))
    problems.push(`the probe did not run (exit ${code}: ${err.trim().split("\n").at(-1) ?? ""})`);
  if (leaked) problems.push("a write in the workspace reached the real one (no overlay)");
  if (out.includes("secret-visible") || !secretIntact)
    problems.push("a secret-named file in the workspace was visible or writable");
  if (out.includes("usr-writable")) problems.push("/usr was writable");
  if (out.includes("canary-visible")) problems.push("a file outside the workspace was readable");
  if (!/^net=1$/m.test(out) && problems.length === 0)
    problems.push(`the network was not isolated (${out.match(/net=\d+/)?.[0]})`);
  if (!/^pid=[0-9]$/m.test(out) && problems.length === 0) problems.push("no private PID namespace");
  if (problems.length > 0) {
    const userns = /user namespace|Operation not permitted|setting up uid map|overlay/i.test(err)
      ? " (are unprivileged user namespaces enabled? sysctl kernel.unprivileged_userns_clone=1; overlayfs in them needs Linux 5.11)"
      : "";
    throw new SandboxUnavailable(`the bubblewrap self-test failed: ${problems.join("; ")}${userns}`, FIX_INSTALL);
  }
}
