import { Injectable } from '@nestjs/common';

type Waiter = () => void;

/**
 * In-process news of freshly queued SETs: the push worker starts at once (no poll interval in
 * the way of the 2 s latency goal) and a long poll on this instance returns as soon as its
 * stream has something. Other instances find the rows on their own periodic look.
 */
@Injectable()
export class SsfSignals {
  private readonly pushListeners: Array<() => void> = [];
  private readonly waiters = new Map<string, Set<Waiter>>();

  onQueued(listener: () => void): void {
    this.pushListeners.push(listener);
  }

  /** SETs were committed for these streams. */
  queued(streamIds: readonly string[]): void {
    if (streamIds.length === 0) return;
    for (const listener of this.pushListeners) listener();
    for (const id of new Set(streamIds)) {
      const waiting = this.waiters.get(id);
      if (!waiting) continue;
      this.waiters.delete(id);
      for (const wake of waiting) wake();
    }
  }

  /** How many long polls wait on `streamId` now on this instance. */
  waiting(streamId: string): number {
    return this.waiters.get(streamId)?.size ?? 0;
  }

  /** Resolves when `streamId` gets a SET or after `ms`, whichever comes first. */
  waitFor(streamId: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const waiting = this.waiters.get(streamId) ?? new Set<Waiter>();
      this.waiters.set(streamId, waiting);
      const wake = (): void => {
        clearTimeout(timer);
        waiting.delete(wake);
        if (waiting.size === 0 && this.waiters.get(streamId) === waiting)
          this.waiters.delete(streamId);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      timer.unref();
      waiting.add(wake);
    });
  }
}
