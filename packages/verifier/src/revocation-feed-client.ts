import { RevocationSet } from './revocation-set';
import type { CredentialProvider } from './service-token';
import { SseParser, type SseEvent } from './sse-parser';

export type FetchLike = typeof fetch;

export interface FeedClientOptions {
  url: string;
  /** The bearer credential: the shared secret, or a service client's token. */
  credential: CredentialProvider;
  set: RevocationSet;
  fetch: FetchLike;
  now: () => number;
  /** First reconnect delay; doubles per failed attempt up to maxDelayMs, with jitter. */
  minDelayMs: number;
  maxDelayMs: number;
  /** Called on connection changes and failures, e.g. to log them. Never gets the secret. */
  onStateChange?: (state: FeedState, detail?: string) => void;
}

export type FeedState = 'connecting' | 'synced' | 'disconnected' | 'closed';

interface EndedPayload {
  sessions?: Array<{ sid?: unknown; endedAt?: unknown }>;
}

/** Before the first `ready` says the heartbeat interval, a silent connection is dead after this. */
const INITIAL_IDLE_TIMEOUT_MS = 30_000;

/**
 * Subscribes to Tessera's GET /oauth/revocations and keeps a RevocationSet current. Reconnects
 * with exponential backoff and Last-Event-ID (the server replays what was missed). `syncedAt`
 * is the last moment the client knew it held every ending: it advances on `ready`, live events
 * and heartbeats of a synced connection only, so a replay in progress does not count as fresh.
 */
export class RevocationFeedClient {
  private lastEventId: string | undefined;
  private syncedAtMs: number | undefined;
  private synced = false;
  private closed = false;
  private attempt = 0;
  private abort: AbortController | undefined;
  private wake: (() => void) | undefined;
  private idleTimeoutMs = INITIAL_IDLE_TIMEOUT_MS;
  private firstSync!: () => void;
  readonly whenSynced: Promise<void> = new Promise((resolve) => (this.firstSync = resolve));
  /** Connection attempts so far (a figure for tests and metrics). */
  connections = 0;

  constructor(private readonly options: FeedClientOptions) {}

  get syncedAt(): number | undefined {
    return this.syncedAtMs;
  }

  start(): void {
    void this.run();
  }

  close(): void {
    this.closed = true;
    this.abort?.abort();
    this.wake?.();
    this.options.onStateChange?.('closed');
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      try {
        await this.connectOnce();
        this.options.onStateChange?.('disconnected', 'the feed ended');
      } catch (error) {
        if (this.closed) break;
        this.options.onStateChange?.('disconnected', describe(error));
      }
      this.synced = false;
      if (this.closed) break;
      await this.sleep(this.nextDelay());
    }
  }

  /**
   * One connection, and after a refusal one more at once with a fresh credential (a service
   * token may expire, or be refused, while it is held): only a second refusal waits for
   * backoff. A refused credential is 401; Tessera before 2026-11-27 answered 404 instead when
   * no shared secret was configured, which is still taken as a refusal.
   */
  private async connectOnce(): Promise<void> {
    const first = await this.connectWith(await this.options.credential.get());
    if (first === 'done') return;
    if (this.closed || !this.options.credential.refused(first.credential))
      throw new Error(`the feed answered ${first.status}`);
    const second = await this.connectWith(await this.options.credential.get());
    if (second !== 'done')
      throw new Error(`the feed answered ${second.status} to a fresh credential`);
  }

  private async connectWith(
    credential: string,
  ): Promise<'done' | { credential: string; status: number }> {
    const controller = new AbortController();
    this.abort = controller;
    this.connections += 1;
    this.options.onStateChange?.('connecting');
    const headers: Record<string, string> = {
      authorization: `Bearer ${credential}`,
      accept: 'text/event-stream',
    };
    if (this.lastEventId !== undefined) headers['last-event-id'] = this.lastEventId;
    let idle: NodeJS.Timeout | undefined;
    const touch = (): void => {
      clearTimeout(idle);
      idle = setTimeout(
        () => controller.abort(new Error('the feed went silent')),
        this.idleTimeoutMs,
      );
      idle.unref?.();
    };
    try {
      touch();
      const res = await this.options.fetch(this.options.url, {
        headers,
        signal: controller.signal,
      });
      if (res.status !== 200 || !res.body) {
        await res.body?.cancel();
        if (res.status === 401 || res.status === 404) return { credential, status: res.status };
        throw new Error(`the feed answered ${res.status}`);
      }
      const parser = new SseParser(
        (event) => this.onEvent(event),
        () => this.onHeartbeat(),
      );
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      while (true) {
        const { done, value } = await reader.read();
        if (done) return 'done';
        touch();
        parser.push(value);
      }
    } finally {
      clearTimeout(idle);
    }
  }

  private onEvent(event: SseEvent): void {
    if (event.id !== undefined) this.lastEventId = event.id;
    if (event.event === 'ended') {
      const payload = JSON.parse(event.data) as EndedPayload;
      for (const ending of payload.sessions ?? []) {
        if (typeof ending.sid === 'string' && typeof ending.endedAt === 'number')
          this.options.set.add(ending.sid, ending.endedAt);
      }
      if (this.synced) this.syncedAtMs = this.options.now();
    } else if (event.event === 'ready') {
      const { heartbeatMs } = JSON.parse(event.data) as { heartbeatMs?: unknown };
      // Two missed heartbeats (plus slack) and the connection is presumed dead.
      if (typeof heartbeatMs === 'number' && heartbeatMs > 0)
        this.idleTimeoutMs = heartbeatMs * 2 + 1000;
      this.synced = true;
      this.attempt = 0;
      this.syncedAtMs = this.options.now();
      this.options.onStateChange?.('synced');
      this.firstSync();
    }
  }

  private onHeartbeat(): void {
    if (this.synced) this.syncedAtMs = this.options.now();
  }

  /** Full jitter over an exponentially growing cap, so many subscribers do not reconnect in step. */
  private nextDelay(): number {
    const cap = Math.min(this.options.maxDelayMs, this.options.minDelayMs * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 30);
    return this.options.minDelayMs / 2 + Math.random() * (cap - this.options.minDelayMs / 2);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      timer.unref?.();
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return `${error.message}${cause}`;
  }
  return String(error);
}
