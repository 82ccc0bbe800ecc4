import type { TesseraStorage } from './storage';

/** The slice of the Web Locks API used here (browsers; Node from v24). */
interface LockManagerLike {
  request<T>(
    name: string,
    options: { signal?: AbortSignal; steal?: boolean },
    callback: () => Promise<T>,
  ): Promise<T>;
}

/** An exclusive section shared by every tab (or client) that uses the same name and storage. */
export interface TabLock {
  run<T>(work: () => Promise<T>): Promise<T>;
}

export interface TabLockOptions {
  name: string;
  storage: TesseraStorage;
  /** How long a holder may keep the lock before a waiter takes it over (a crashed tab). */
  maxHoldMs: number;
  /** Notified when the holder releases, so waiters need not wait for the next poll. */
  channel?: BroadcastChannelLike;
  now: () => number;
}

export interface BroadcastChannelLike {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (event: Event) => void): void;
  removeEventListener(type: 'message', listener: (event: Event) => void): void;
  close(): void;
}

/** The payload of a channel message (the DOM and Node type MessageEvent alike). */
export function messageData(event: Event): unknown {
  return (event as MessageEvent).data;
}

function webLocks(): LockManagerLike | undefined {
  const nav = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator;
  return nav?.locks;
}

/** By name: a DOMException need not be an `Error` of this realm. */
function isAbort(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  return name === 'AbortError' || name === 'TimeoutError';
}

/**
 * Web Locks when the platform has them. A waiter gives up after `maxHoldMs` and steals the lock,
 * so a tab stuck while holding it (frozen, or a request that never ends) cannot block the
 * others forever.
 */
class WebTabLock implements TabLock {
  constructor(
    private readonly locks: LockManagerLike,
    private readonly options: TabLockOptions,
  ) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    const { name, maxHoldMs } = this.options;
    try {
      return await this.locks.request(name, { signal: AbortSignal.timeout(maxHoldMs) }, work);
    } catch (error) {
      if (!isAbort(error)) throw error;
      return this.locks.request(name, { steal: true }, work);
    }
  }
}

interface Lease {
  owner: string;
  until: number;
}

const POLL_MS = 20;

/**
 * A lease in the shared storage, for platforms without Web Locks (Node 20). Taking it is a
 * synchronous read-check-write, so clients in one realm cannot both win; across browser tabs the
 * window is tiny, and the server's refresh grace window makes a rare double refresh harmless. An
 * expired lease (its holder died) is simply taken over: no deadlock.
 */
class LeaseTabLock implements TabLock {
  private readonly id = `${Date.now().toString(36)}.${Math.random().toString(36).slice(2)}`;

  constructor(private readonly options: TabLockOptions) {}

  private get key(): string {
    return `${this.options.name}.lease`;
  }

  private read(): Lease | null {
    const raw = this.options.storage.getItem(this.key);
    if (!raw) return null;
    try {
      return JSON.parse(raw) as Lease;
    } catch {
      return null;
    }
  }

  private tryAcquire(): boolean {
    const lease = this.read();
    const now = this.options.now();
    if (lease && lease.owner !== this.id && lease.until > now) return false;
    this.options.storage.setItem(
      this.key,
      JSON.stringify({ owner: this.id, until: now + this.options.maxHoldMs }),
    );
    return this.read()?.owner === this.id;
  }

  private release(): void {
    if (this.read()?.owner === this.id) this.options.storage.removeItem(this.key);
    this.options.channel?.postMessage({ type: 'lock-released' });
  }

  /** Resolves on the next release message or after a short poll, whichever comes first. */
  private waitForRelease(): Promise<void> {
    const channel = this.options.channel;
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        channel?.removeEventListener('message', onMessage);
        resolve();
      };
      const onMessage = (event: Event): void => {
        if ((messageData(event) as { type?: unknown } | null)?.type === 'lock-released') done();
      };
      const timer = setTimeout(done, POLL_MS);
      channel?.addEventListener('message', onMessage);
    });
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    while (!this.tryAcquire()) await this.waitForRelease();
    try {
      return await work();
    } finally {
      this.release();
    }
  }
}

export function createTabLock(options: TabLockOptions): TabLock {
  const locks = webLocks();
  return locks ? new WebTabLock(locks, options) : new LeaseTabLock(options);
}

/** A lock with the lease implementation even where Web Locks exist (tests). */
export function createLeaseTabLock(options: TabLockOptions): TabLock {
  return new LeaseTabLock(options);
}
