import { Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { AuthContext } from '../common/auth-context';
import { Clock } from '../common/clock';
import { EndedSessions } from './ended-sessions';
import { LiveHub, type LiveSubscriber } from './live-hub.service';

const HEARTBEAT_MS = 25_000;
const RETRY_MS = 3_000;

/**
 * Serves one Server-Sent Events stream: registers it with the hub, keeps it alive through
 * proxies with comment heartbeats, and ends it when the session ends, when its access token
 * expires (the client reconnects with a fresh one), or when the client goes away.
 */
@Injectable()
export class LiveStreamService {
  constructor(
    private readonly hub: LiveHub,
    private readonly revocations: EndedSessions,
    private readonly clock: Clock,
  ) {}

  open(auth: AuthContext, req: Request, res: Response): void {
    this.hub.makeRoom(auth.userId, auth.sessionId);
    const lastEventId = req.header('last-event-id')?.trim() || undefined;
    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Connection', 'keep-alive');
    // Ask buffering proxies (nginx) to pass events through at once.
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    req.socket.setNoDelay(true);

    const timers: NodeJS.Timeout[] = [];
    let closed = false;
    const subscriber: LiveSubscriber = {
      userId: auth.userId,
      sessionId: auth.sessionId,
      send: (type, data, id) => {
        if (closed) return;
        res.write(`${id ? `id: ${id}\n` : ''}event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
      },
      close: () => {
        if (closed) return;
        closed = true;
        for (const timer of timers) clearTimeout(timer);
        this.hub.remove(subscriber);
        res.end();
      },
    };
    req.on('close', () => subscriber.close());
    timers.push(setInterval(() => !closed && res.write(': keep-alive\n\n'), HEARTBEAT_MS));
    const untilExpiry = Math.max(0, auth.tokenExpiresAt.getTime() - this.clock.nowMs());
    timers.push(setTimeout(() => subscriber.close(), Math.min(untilExpiry, 2 ** 31 - 1)));
    for (const timer of timers) timer.unref();

    res.write(`retry: ${RETRY_MS}\n\n`);
    // Replay and subscribe in one synchronous step: no event can fall between them (gap) or be
    // sent by both (duplicate).
    this.catchUp(subscriber, lastEventId);
    this.hub.add(subscriber);
    // The session may have ended between the guard's check and the subscription.
    const ended = this.revocations.statusOf(auth.sessionId);
    if (ended) this.hub.endSessions([auth.sessionId], ended, this.clock.now().toISOString());
  }

  /**
   * `ready`, then what a reconnecting client missed. A new stream's `ready` carries the id of the
   * user's newest event, so even a client that has received nothing yet can resume from there.
   * A Last-Event-ID beyond the replay bounds gets `stream.reset`: reload the state (GET /sessions).
   */
  private catchUp(subscriber: LiveSubscriber, lastEventId: string | undefined): void {
    const { userId, sessionId } = subscriber;
    if (lastEventId === undefined) {
      subscriber.send('ready', { sessionId, resumed: false }, this.hub.latestEventId(userId));
      return;
    }
    const missed = this.hub.missedSince(userId, lastEventId);
    if (!missed.found) {
      subscriber.send('ready', { sessionId, resumed: false });
      subscriber.send(
        'stream.reset',
        { reason: 'history_unavailable' },
        this.hub.latestEventId(userId),
      );
      return;
    }
    subscriber.send('ready', { sessionId, resumed: true, replayed: missed.events.length });
    for (const event of missed.events) subscriber.send(event.type, event, event.id);
  }
}
