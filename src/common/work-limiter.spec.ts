import { AppException } from './app.exception';
import { type StartTimer, WorkLimiter } from './work-limiter';

/** A fake hash whose completion the test controls. */
class ControlledWork {
  readonly pending: Array<() => void> = [];
  started = 0;

  job = (): Promise<string> => {
    this.started += 1;
    return new Promise((resolve) => this.pending.push(() => resolve('hash')));
  };

  finishOne(): void {
    this.pending.shift()?.();
  }
}

/** Timers fired by hand. */
class ManualTimers {
  private readonly timers = new Set<() => void>();
  start: StartTimer = (callback) => {
    this.timers.add(callback);
    return () => this.timers.delete(callback);
  };
  get count(): number {
    return this.timers.size;
  }
  fireAll(): void {
    const due = [...this.timers];
    this.timers.clear();
    for (const callback of due) callback();
  }
}

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('WorkLimiter', () => {
  it('runs at most maxConcurrent jobs; queued ones start as slots free', async () => {
    const work = new ControlledWork();
    const timers = new ManualTimers();
    const limiter = new WorkLimiter({
      maxConcurrent: 2,
      maxQueued: 4,
      maxWaitMs: 2000,
      startTimer: timers.start,
    });
    const results = Array.from({ length: 5 }, () => limiter.run(work.job));
    await flush();
    expect(work.started).toBe(2);
    expect(limiter.waiting).toBe(3);
    work.finishOne();
    await flush();
    expect(work.started).toBe(3);
    expect(limiter.active).toBe(2);
    while (work.pending.length > 0) {
      work.finishOne();
      await flush();
    }
    await expect(Promise.all(results)).resolves.toEqual(Array(5).fill('hash'));
    expect(limiter.active).toBe(0);
    expect(timers.count).toBe(0);
  });

  it('sheds at once with 503 service_unavailable and Retry-After when the queue is full', async () => {
    const work = new ControlledWork();
    const limiter = new WorkLimiter({
      maxConcurrent: 1,
      maxQueued: 1,
      maxWaitMs: 2000,
      retryAfterSeconds: 2,
      startTimer: new ManualTimers().start,
    });
    const running = limiter.run(work.job);
    const queued = limiter.run(work.job);
    const shed = limiter.run(work.job);
    await expect(shed).rejects.toBeInstanceOf(AppException);
    await expect(shed).rejects.toMatchObject({
      code: 'service_unavailable',
      extras: { retryAfterSeconds: 2 },
    });
    work.finishOne();
    await flush();
    work.finishOne();
    await expect(Promise.all([running, queued])).resolves.toEqual(['hash', 'hash']);
  });

  it('sheds a job that waited longer than maxWaitMs, without losing a slot', async () => {
    const work = new ControlledWork();
    const timers = new ManualTimers();
    const limiter = new WorkLimiter({
      maxConcurrent: 1,
      maxQueued: 4,
      maxWaitMs: 2000,
      startTimer: timers.start,
    });
    const running = limiter.run(work.job);
    const waiting = limiter.run(work.job);
    await flush();
    timers.fireAll();
    await expect(waiting).rejects.toMatchObject({ code: 'service_unavailable' });
    expect(limiter.waiting).toBe(0);
    work.finishOne();
    await expect(running).resolves.toBe('hash');
    expect(limiter.active).toBe(0);
    // The slot is free again: the next job starts at once.
    const next = limiter.run(work.job);
    await flush();
    expect(work.started).toBe(2);
    work.finishOne();
    await expect(next).resolves.toBe('hash');
  });

  it('frees the slot when a job fails', async () => {
    const limiter = new WorkLimiter({ maxConcurrent: 1, maxQueued: 0, maxWaitMs: 10 });
    await expect(limiter.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(limiter.run(() => Promise.resolve(1))).resolves.toBe(1);
  });
});
