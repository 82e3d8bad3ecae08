// Pure: how one verification command is jailed. The bubblewrap command line, the environment allow-list and
// the host paths a sandbox may read. Running it, the self-test and the cgroups are in sandboxHost.ts.
import path from "node:path";

export type SandboxLimits = {
  /** Whole sandbox (cgroup memory limit); also each Python candidate's address space. */
  memoryMb: number;
  /** Processes and threads at once: cgroup pids.max, or RLIMIT_NPROC where no cgroup is writable. */
  processes: number;
  /** Largest file a command may write (RLIMIT_FSIZE). */
  fileSizeMb: number;
  /** Size of the private /tmp. */
  tmpMb: number;
  openFiles: number;
};

/** The directories behind one verification's view of the workspace (view.ts makes them). */
export type ViewDirs = {
  /** Where the real workspace is bound inside the launcher's mount namespace: the overlay's lower layer. */
  lower: string;
  /** Takes the writes; removed when the verification ends. */
  upper: string;
  /** overlayfs's scratch directory, beside the upper. */
  work: string;
  /** An empty file bound over each masked file (the host's /dev/null would be a device node on a nodev mount). */
  empty: string;
  /** Workspace-relative paths, one per line, removed inside the view once it is mounted: a private edit's deletions. */
  deleted: string;
};

/** What the host looks like at the top level: which system paths exist, and which are symlinks (usr-merge). */
export type HostLayout = {
  system: { path: string; symlinkTo?: string }[];
  /** Files under /etc that hold secrets and are masked with an empty file or directory. */
  masked: { path: string; isDir: boolean }[];
};

export type SandboxSpec = {
  workspace: string;
  /** Workspace commands may write the workspace; a Python candidate only reads it. */
  writable: boolean;
  /** Paths inside the workspace that stay read-only even when it is writable (.git). Only existing ones. */
  protect: string[];
  /** Host paths bound read-only: tool installations found on PATH, python's prefix, configured extras. */
  readOnly: string[];
  limits: SandboxLimits;
  /** Sets RLIMIT_AS to limits.memoryMb: right for Python, wrong for JS engines that reserve huge address space. */
  limitAddressSpace: boolean;
  /** cgroup.procs files the launcher joins before entering the sandbox (empty when no cgroup is used). */
  cgroupProcs: string[];
  /** The workspace as an overlay whose writes are thrown away, with secret-named paths masked (view.ts). */
  view?: { dirs: ViewDirs; masked: { path: string; isDir: boolean }[] };
  /** The host user's ids, kept inside the jail when the overlay's launcher runs it as its namespace's root. */
  ids?: { uid: number; gid: number };
  command: string[];
};

/** System paths bound read-only when present. Home directories, /root, /tmp, /var, /run and /mnt are not. */
export const SYSTEM_PATHS = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc"];
/** Secrets under /etc that even a read-only /etc must not show. */
export const MASKED_PATHS = [
  "/etc/shadow",
  "/etc/gshadow",
  "/etc/shadow-",
  "/etc/gshadow-",
  "/etc/ssh",
  "/etc/sudoers",
  "/etc/sudoers.d",
  "/etc/ssl/private",
];
/** Variables a verification command may see from the host; everything else is dropped. */
export const ENV_ALLOW = ["LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "LC_MESSAGES", "TZ", "TERM"];

const MIB = 1024 * 1024;
/** Joins each cgroup.procs file given before the sandbox starts, then becomes the sandbox (exec). */
const JOIN_CGROUPS =
  'n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1" || exit 125; shift; n=$((n-1)); done; exec "$@"';

/**
 * Mounts the overlay over the workspace path in a private mount namespace (its own user namespace, where the
 * host user is root), then runs the rest. The real workspace is bound to the lower directory first, so the
 * overlay's option string only ever names our own directories. Exit 125: the view could not be made.
 */
const MOUNT_VIEW = [
  "ws=$1; lower=$2; upper=$3; work=$4; deleted=$5; shift 5",
  'mount --bind "$ws" "$lower" || exit 125',
  'mount -t overlay overlay -o "lowerdir=$lower,upperdir=$upper,workdir=$work,userxattr" "$ws" || exit 125',
  // Once, before any command of the view has run (so nothing the code under test planted can redirect it): the
  // private edit's deletions. Overlayfs records each as a whiteout in the upper layer, which later mounts see.
  '[ -e "$deleted.done" ] || { while IFS= read -r gone; do rm -f -- "$ws/$gone" || exit 125; done < "$deleted"; : > "$deleted.done"; } || exit 125',
  'cd "$ws" || exit 125',
  'exec "$@"',
].join("\n");

/** Pure: the launcher that gives a command the workspace view: `unshare` as the namespace's root, then MOUNT_VIEW. */
export function viewLauncher(workspace: string, dirs: ViewDirs): string[] {
  return [
    "unshare",
    "--user",
    "--map-root-user",
    "--mount",
    "--propagation",
    "private",
    "--",
    "/bin/sh",
    "-c",
    MOUNT_VIEW,
    "sh",
    workspace,
    dirs.lower,
    dirs.upper,
    dirs.work,
    dirs.deleted,
  ];
}

/** Pure: the full command line, launcher included. `bwrap` is the bubblewrap binary's path. */
export function sandboxArgv(spec: SandboxSpec, layout: HostLayout, bwrap: string): string[] {
  const args = [bwrap, "--unshare-all", "--die-with-parent", "--new-session", "--hostname", "sandbox"];
  if (spec.view && spec.ids) args.push("--uid", String(spec.ids.uid), "--gid", String(spec.ids.gid));
  for (const entry of layout.system) {
    if (entry.symlinkTo !== undefined) args.push("--symlink", entry.symlinkTo, entry.path);
    else args.push("--ro-bind", entry.path, entry.path);
  }
  for (const entry of layout.masked)
    args.push(entry.isDir ? "--tmpfs" : "--ro-bind", ...(entry.isDir ? [entry.path] : ["/dev/null", entry.path]));
  args.push("--dev", "/dev", "--proc", "/proc", "--size", String(spec.limits.tmpMb * MIB), "--tmpfs", "/tmp");
  for (const dir of spec.readOnly) args.push("--ro-bind", dir, dir);
  args.push(spec.writable ? "--bind" : "--ro-bind", spec.workspace, spec.workspace);
  for (const inner of spec.protect) args.push("--ro-bind", inner, inner);
  for (const entry of spec.view?.masked ?? [])
    args.push(...(entry.isDir ? ["--tmpfs", entry.path] : ["--ro-bind", spec.view!.dirs.empty, entry.path]));
  args.push("--chdir", spec.workspace, "--", "prlimit", ...rlimitArgs(spec), "--", ...spec.command);
  const launched = spec.view ? [...viewLauncher(spec.workspace, spec.view.dirs), ...args] : args;
  if (spec.cgroupProcs.length === 0) return launched;
  return ["/bin/sh", "-c", JOIN_CGROUPS, "sh", String(spec.cgroupProcs.length), ...spec.cgroupProcs, ...launched];
}

function rlimitArgs(spec: SandboxSpec): string[] {
  const { limits } = spec;
  const out = [
    `--nproc=${limits.processes}`,
    `--fsize=${limits.fileSizeMb * MIB}`,
    `--nofile=${limits.openFiles}`,
    "--core=0",
  ];
  if (spec.limitAddressSpace) out.push(`--as=${limits.memoryMb * MIB}`);
  return out;
}

/** Pure: the environment inside the sandbox. An allow-list: nothing else from the host gets in. */
export function sandboxEnv(
  host: Record<string, string | undefined>,
  options: { path: string; passThrough: string[] },
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of [...ENV_ALLOW, ...options.passThrough]) {
    const value = host[name];
    if (value !== undefined) env[name] = value;
  }
  return {
    ...env,
    PATH: options.path,
    HOME: "/tmp",
    TMPDIR: "/tmp",
    // Test runners stay non-interactive and plain; no bytecode files left in the workspace.
    CI: "true",
    NO_COLOR: "1",
    FORCE_COLOR: "0",
    PYTHONDONTWRITEBYTECODE: "1",
  };
}

/** Pure: is `inner` the directory `outer` or inside it? */
export function isWithin(inner: string, outer: string): boolean {
  const relative = path.relative(outer, inner);
  return relative === "" || (!relative.startsWith("..") && !path.isAbsolute(relative));
}

/**
 * Pure: the installation a bin directory belongs to. Tools need their libraries beside `bin/`
 * (`<prefix>/bin/python3` needs `<prefix>/lib`; `node_modules/.bin/tsc` links into `node_modules/typescript`).
 */
export function installationOf(binDir: string, home?: string): string {
  const base = path.basename(binDir);
  // pyenv and rbenv shims are scripts that run the versions beside them.
  const parent = ["bin", "sbin", ".bin", "shims"].includes(base) ? path.dirname(binDir) : binDir;
  // ~/bin must not expose the whole home directory.
  const isHome = parent === "/" || parent === "/root" || path.dirname(parent) === "/home" || parent === home;
  return isHome ? binDir : parent;
}

/**
 * Pure: the smallest set of directories covering every path: nested ones and system paths (already bound)
 * are dropped.
 */
export function coveringDirs(paths: string[]): string[] {
  const sorted = [...new Set(paths.map((p) => path.resolve(p)))].sort((a, b) => a.length - b.length);
  const out: string[] = [];
  for (const dir of sorted) {
    if (dir === "/" || SYSTEM_PATHS.some((system) => isWithin(dir, system))) continue;
    if (out.some((kept) => isWithin(dir, kept))) continue;
    out.push(dir);
  }
  return out.sort();
}
