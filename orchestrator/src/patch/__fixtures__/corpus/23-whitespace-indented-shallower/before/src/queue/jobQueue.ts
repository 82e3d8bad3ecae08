import { EventEmitter } from "node:events";

export type Job<T> = { id: string; payload: T; attempts: number };

export class JobQueue<T> extends EventEmitter {
  private readonly pending: Job<T>[] = [];
  private running = 0;

  constructor(
    private readonly worker: (payload: T) => Promise<void>,
    private readonly concurrency = 2,
    private readonly maxAttempts = 3,
  ) {
    super();
  }

  push(id: string, payload: T): void {
    this.pending.push({ id, payload, attempts: 0 });
    this.drain();
  }

  get size(): number {
    return this.pending.length + this.running;
  }

  private drain(): void {
    while (this.running < this.concurrency && this.pending.length > 0) {
      const job = this.pending.shift()!;
      this.running += 1;
      this.worker(job.payload)
        .then(() => this.emit("done", job.id))
        .catch((error) => {
          job.attempts += 1;
          if (job.attempts < this.maxAttempts) this.pending.push(job);
          else this.emit("failed", job.id, error);
        })
        .finally(() => {
          this.running -= 1;
          this.drain();
        });
    }
  }
}
