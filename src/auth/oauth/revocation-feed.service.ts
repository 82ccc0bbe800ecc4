import { type BeforeApplicationShutdown, Injectable, type OnModuleInit } from '@nestjs/common';
import type { Response } from 'express';
import { AppException } from '../../common/app.exception';
import { Clock } from '../../common/clock';
import { AppConfig } from '../../config/app-config';
import {
  REVOCATION_HORIZON_MS,
  RevocationView,
  type SessionEnding,
} from '../../sessions/revocation-view.service';
import { formatCursor, planFeedStart } from './revocation-feed-cursor';
import { ServiceClientRepository } from './service-client.repository';
import type { ServiceRequest } from './service-client.guard';
import type { ServiceCaller } from './service-credentials';

/** One ended session on the wire. */
export interface FeedEnding {
  sid: string;
  status: 'revoked' | 'expired';
  /** ended_at, epoch milliseconds. */
  endedAt: number;
}

interface FeedStream {
  /** The newest ended_at sent (the SSE id); never moves backwards. */
  cursorMs: number;
  /** Who opened it: its token may expire and its client be disabled while it is open. */
  caller?: ServiceCaller;
  write(text: string): void;
  close(): void;
}

/** Keeps each `ended` event well under what a subscriber must buffer per line. */
const BATCH_SIZE = 500;
const RETRY_MS = 1_000;
/** What a refused subscriber is told to wait before trying again (this or another instance). */
export const FEED_FULL_RETRY_AFTER_SECONDS = 5;

const toWire = (ending: SessionEnding): FeedEnding => ({
  sid: ending.sessionId,
  status: ending.status,
  endedAt: ending.endedAtMs,
});

function endedEvent(endings: readonly FeedEnding[], cursor?: string): string {
  const id = cursor === undefined ? '' : `id: ${cursor}\n`;
  return `${id}event: ended\ndata: ${JSON.stringify({ sessions: endings })}\n\n`;
}

/**
 * GET /oauth/revocations: streams ended sessions to services that verify access tokens locally.
 * Fed by the RevocationView, which learns of every ending on any instance through the cluster
 * bus (and the reconciliation backstop), so a feed on any instance carries every ending. A
 * connection starts with the endings that can still matter (a snapshot, or a replay after
 * Last-Event-ID), marks the end of that with `ready`, then sends live `ended` events.
 */
@Injectable()
export class RevocationFeed implements OnModuleInit, BeforeApplicationShutdown {
  private readonly streams = new Set<FeedStream>();
  private readonly perClient = new Map<string, number>();
  /** One heartbeat for every open stream, running while any is open. */
  private heartbeat?: NodeJS.Timeout;
  private pending: FeedEnding[] = [];
  private flushScheduled = false;

  constructor(
    private readonly view: RevocationView,
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly clients: ServiceClientRepository,
  ) {}

  onModuleInit(): void {
    this.view.onEnded((ending) => this.enqueue(toWire(ending)));
  }

  /** Open streams would hold a graceful shutdown: end them; subscribers resume elsewhere. */
  beforeApplicationShutdown(): void {
    for (const stream of [...this.streams]) stream.close();
  }

  get subscriberCount(): number {
    return this.streams.size;
  }

  /** Streams open here for `clientId`. */
  streamsOf(clientId: string): number {
    return this.perClient.get(clientId) ?? 0;
  }

  open(req: ServiceRequest, res: Response): void {
    const clientId = req.serviceCaller?.clientId ?? 'revocation-feed';
    this.admit(clientId);
    const heartbeatMs = this.config.revocationFeed?.heartbeatMs ?? 15_000;
    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Connection', 'keep-alive');
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    req.socket.setNoDelay(true);

    const nowMs = this.clock.nowMs();
    const start = planFeedStart(req.header('last-event-id'), nowMs, REVOCATION_HORIZON_MS);
    let closed = false;
    const stream: FeedStream = {
      cursorMs: start.kind === 'snapshot' ? nowMs : Number(req.header('last-event-id')),
      caller: req.serviceCaller,
      write: (text) => {
        if (!closed) res.write(text);
      },
      close: () => {
        if (closed) return;
        closed = true;
        if (this.streams.delete(stream)) this.count(clientId, -1);
        if (this.streams.size === 0) this.stopHeartbeat();
        res.end();
      },
    };
    req.on('close', () => stream.close());

    // No await from here to the registration: no ending can slip between the two.
    const since = start.kind === 'snapshot' ? nowMs - REVOCATION_HORIZON_MS : start.sinceMs;
    const initial = this.view.endedSince(since).map(toWire);
    stream.write(`retry: ${RETRY_MS}\n\n`);
    for (let i = 0; i < initial.length; i += BATCH_SIZE) {
      stream.write(endedEvent(initial.slice(i, i + BATCH_SIZE)));
    }
    const ready = { mode: start.kind, count: initial.length, heartbeatMs };
    stream.write(
      `id: ${formatCursor(stream.cursorMs)}\nevent: ready\ndata: ${JSON.stringify(ready)}\n\n`,
    );
    this.streams.add(stream);
    this.count(clientId, +1);
    this.startHeartbeat(heartbeatMs);
  }

  private startHeartbeat(heartbeatMs: number): void {
    if (this.heartbeat) return;
    this.heartbeat = setInterval(() => void this.beat(), heartbeatMs);
    this.heartbeat.unref();
  }

  private stopHeartbeat(): void {
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }

  /**
   * A heartbeat on every stream, then whether each may stay open: its token's expiry, and its
   * registered client (clientActive), read once however many streams the client holds.
   */
  private async beat(): Promise<void> {
    const nowMs = this.clock.nowMs();
    const byClient = new Map<string, FeedStream[]>();
    for (const stream of [...this.streams]) {
      stream.write(': heartbeat\n\n');
      const caller = stream.caller;
      if (!caller) continue;
      if (caller.expiresAtMs !== undefined && nowMs >= caller.expiresAtMs) {
        stream.close();
      } else if (caller.registered) {
        const streams = byClient.get(caller.clientId);
        if (streams) streams.push(stream);
        else byClient.set(caller.clientId, [stream]);
      }
    }
    await Promise.all(
      [...byClient].map(async ([clientId, streams]) => {
        if (!(await this.clientActive(clientId))) for (const stream of streams) stream.close();
      }),
    );
  }

  /**
   * Whether a registered client may keep its streams open: it was admitted once, but it can be
   * disabled meanwhile (as its token can expire: beat() checks both at every heartbeat, so a
   * stream outlives neither by more than REVOCATION_FEED_HEARTBEAT; the subscriber reconnects
   * with a fresh credential, or is refused). A failed check (database outage) keeps the streams:
   * the feed must not flap.
   */
  private clientActive(clientId: string): Promise<boolean> {
    return this.clients.findActive(clientId).then(
      (client) => client !== undefined,
      () => true,
    );
  }

  /**
   * Caps open streams per client and per instance, before the response starts: one leaking
   * subscriber (a reconnect loop that never closes its old streams) must not take every socket.
   * The excess gets 503 with Retry-After; unlike a user's live streams, older streams are not
   * closed for it, since each may be a separate verifier replica behind the same client.
   */
  private admit(clientId: string): void {
    const { perClient, perInstance } = this.config.revocationFeedStreams;
    const full =
      this.streams.size >= perInstance
        ? 'Too many open revocation feed streams on this instance'
        : this.streamsOf(clientId) >= perClient
          ? 'Too many open revocation feed streams for this client'
          : undefined;
    if (full) {
      throw new AppException('service_unavailable', full, {
        retryAfterSeconds: FEED_FULL_RETRY_AFTER_SECONDS,
      });
    }
  }

  private count(clientId: string, delta: number): void {
    const next = this.streamsOf(clientId) + delta;
    if (next > 0) this.perClient.set(clientId, next);
    else this.perClient.delete(clientId);
  }

  /** Endings learned in one tick go out as one event per stream. */
  private enqueue(ending: FeedEnding): void {
    if (this.streams.size === 0) return;
    this.pending.push(ending);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    const endings = this.pending;
    this.pending = [];
    if (endings.length === 0) return;
    const newest = endings.reduce((max, ending) => Math.max(max, ending.endedAt), 0);
    for (const stream of this.streams) {
      stream.cursorMs = Math.max(stream.cursorMs, newest);
      for (let i = 0; i < endings.length; i += BATCH_SIZE) {
        stream.write(endedEvent(endings.slice(i, i + BATCH_SIZE), formatCursor(stream.cursorMs)));
      }
    }
  }
}
