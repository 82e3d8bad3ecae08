// What a daemon that died leaves behind, given back: a landing cut short is undone (under the workspace's lock)
// where the files still hold what it wrote, and its running tasks go back to the queue to start again.
import { defaultLockDir } from "../config/paths.ts";
import { emit } from "../log/events.ts";
import type { Liveness, QueueEntry, TaskQueue } from "../queue/queue.ts";
import type { Session } from "../run/session.ts";
import { lockWorkspace } from "../task/lock.ts";
import { undoLanding } from "./snapshot.ts";

/** A landing its daemon died in: undone (under the workspace's lock) where the files still hold what it wrote. */
export async function undoCutLanding(queue: TaskQueue, entry: QueueEntry, session: Session, signal?: AbortSignal) {
  if (!(await queue.snapshot(entry.id))) return 0;
  await using _lock = await lockWorkspace({
    lockDir: defaultLockDir(process.env),
    workspace: entry.workspace,
    wait: true,
    signal,
    onWait: (holder) =>
      emit(
        session.log,
        "workspace_locked",
        { workspace: entry.workspace, holderPid: holder.pid, daemonTask: entry.id },
        { message: "waiting for the workspace to undo a landing cut short" },
      ),
  });
  // Read again under the lock: a daemon that had the task may have finished its landing while this one waited.
  const saved = await queue.snapshot(entry.id);
  const now = await queue.get(entry.id);
  if (!saved || now?.state === "done" || now?.state === "cancelled") return 0;
  const undone = await undoLanding(entry.workspace, saved);
  await queue.clearSnapshot(entry.id);
  return undone;
}

/**
 * Tasks whose daemon died while running them go back to the queue, to start again from scratch. One killed while
 * landing has that landing undone first. (On a Redis queue a dead daemon's tasks come back by themselves, and the
 * daemon that claims one undoes its landing then: see execute.)
 */
export async function recoverOrphans(
  queue: TaskQueue,
  liveness: Liveness,
  session: Session,
  signal?: AbortSignal,
): Promise<number> {
  const orphans = await queue.orphans(liveness);
  for (const entry of orphans) {
    const undone = await undoCutLanding(queue, entry, session, signal);
    await queue.requeue(entry.id);
    emit(
      session.log,
      "task_recovered",
      { daemonTask: entry.id, starts: entry.starts, undoneFiles: undone },
      { message: "a task the previous daemon was running goes back to the queue" },
    );
  }
  return orphans.length;
}
