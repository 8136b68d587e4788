// Publishing after commit, without ever making ingestion wait on the bus.
//
// The writer commits a batch, then hands its changes here and goes on. One
// publish is in flight at a time (so the bus sees commit order); what waits
// behind it is bounded (`maxQueued` changes, oldest dropped first). A change
// that is dropped, or whose publish fails, is not lost to subscribers: it is
// in the change log with its seq, and every API replica notices the missing
// seq and reads it from there (src/feed.ts).
import type { Logger } from 'pino';
import type { Bus, BusMessage } from '../bus.js';

export interface PublisherStats {
  /** Changes waiting behind the publish in flight. */
  queued: number;
  /** Publishes that failed (bus away or timed out). */
  errors: number;
  /** Changes dropped from a full queue. */
  dropped: number;
}

export class AsyncPublisher {
  private queue: BusMessage[] = [];
  private draining: Promise<void> | null = null;
  readonly stats: PublisherStats = { queued: 0, errors: 0, dropped: 0 };

  constructor(
    private readonly bus: Bus,
    private readonly logger: Logger,
    private readonly maxQueued = 10_000,
    private readonly batchSize = 500,
  ) {}

  /** Queues committed changes for publication; returns at once. */
  enqueue(messages: readonly BusMessage[]): void {
    if (messages.length === 0) return;
    this.queue.push(...messages);
    const over = this.queue.length - this.maxQueued;
    if (over > 0) {
      this.queue.splice(0, over);
      this.stats.dropped += over;
      this.logger.warn({ dropped: over }, 'bus publish queue full; oldest changes dropped (replicas read them from the change log)');
    }
    this.stats.queued = this.queue.length;
    this.draining ??= this.drain().finally(() => {
      this.draining = null;
    });
  }

  /** Waits until the queue is empty or `timeoutMs` passed (graceful stop). */
  async flush(timeoutMs = 2000): Promise<void> {
    if (!this.draining) return;
    await Promise.race([this.draining, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
  }

  /** Forgets what is queued (the process is going away). */
  clear(): void {
    this.queue = [];
    this.stats.queued = 0;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.batchSize);
      this.stats.queued = this.queue.length;
      try {
        await this.bus.publishMany(batch);
      } catch (err) {
        this.stats.errors++;
        this.logger.warn(
          { err: err instanceof Error ? err.message : String(err), changes: batch.length },
          'bus publish failed (replicas read these changes from the change log)',
        );
      }
    }
  }
}
