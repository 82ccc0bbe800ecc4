import { AppException } from './app.exception';

/** Starts a timer; returns a function that cancels it. Injected so tests need no real waits. */
export type StartTimer = (callback: () => void, ms: number) => () => void;

const realTimer: StartTimer = (callback, ms) => {
  const handle = setTimeout(callback, ms);
  return () => clearTimeout(handle);
};

export interface WorkLimiterOptions {
  /** Jobs running at once. */
  maxConcurrent: number;
  /** Jobs waiting for a slot; one more is shed at once. */
  maxQueued: number;
  /** A waiting job is shed after this long. */
  maxWaitMs: number;
  /** Retry-After for shed jobs. */
  retryAfterSeconds?: number;
  startTimer?: StartTimer;
}

interface Waiter {
  start: () => void;
  cancelTimer: () => void;
}

/**
 * A semaphore with a bounded, time-limited wait queue, for CPU- and memory-heavy work (argon2:
 * 19 MiB and ~15 ms of a core each). Without it a burst of logins queues unbounded work on
 * libuv's thread pool, every request slows down together and memory grows; with it, at most
 * `maxConcurrent` run, a few wait, and the rest are answered 503 + Retry-After at once.
 */
export class WorkLimiter {
  private running = 0;
  private readonly queue: Waiter[] = [];
  private readonly startTimer: StartTimer;

  constructor(private readonly options: WorkLimiterOptions) {
    this.startTimer = options.startTimer ?? realTimer;
  }

  get active(): number {
    return this.running;
  }

  get waiting(): number {
    return this.queue.length;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await work();
    } finally {
      this.release();
    }
  }

  private acquire(): Promise<void> {
    if (this.running < this.options.maxConcurrent) {
      this.running += 1;
      return Promise.resolve();
    }
    if (this.queue.length >= this.options.maxQueued) return Promise.reject(this.overloaded());
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        // The slot is handed over by release(): `running` does not change.
        start: () => {
          waiter.cancelTimer();
          resolve();
        },
        cancelTimer: this.startTimer(() => {
          const index = this.queue.indexOf(waiter);
          if (index >= 0) this.queue.splice(index, 1);
          reject(this.overloaded());
        }, this.options.maxWaitMs),
      };
      this.queue.push(waiter);
    });
  }

  private release(): void {
    const next = this.queue.shift();
    if (next) next.start();
    else this.running -= 1;
  }

  private overloaded(): AppException {
    return new AppException('service_unavailable', 'The server is busy; try again shortly', {
      retryAfterSeconds: this.options.retryAfterSeconds ?? 1,
    });
  }
}
