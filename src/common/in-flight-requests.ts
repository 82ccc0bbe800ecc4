import type { NextFunction, Request, Response } from 'express';

/**
 * Counts requests being served, so a graceful stop can wait for them before the database
 * closes. Event streams are left out: they never finish by themselves and are ended by the
 * live module during shutdown.
 */
export class InFlightRequests {
  private count = 0;
  private waiters: Array<() => void> = [];

  readonly middleware = (req: Request, res: Response, next: NextFunction): void => {
    if ((req.header('accept') ?? '').includes('text/event-stream')) return next();
    this.count += 1;
    res.once('close', () => {
      this.count -= 1;
      if (this.count === 0) for (const wake of this.waiters.splice(0)) wake();
    });
    next();
  };

  get size(): number {
    return this.count;
  }

  /** Resolves when no request is in flight, or after `timeoutMs` (a stuck client must not block a stop). */
  async drained(timeoutMs: number): Promise<void> {
    if (this.count === 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
