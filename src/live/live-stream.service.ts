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
    this.hub.add(subscriber);
    req.on('close', () => subscriber.close());
    timers.push(setInterval(() => !closed && res.write(': keep-alive\n\n'), HEARTBEAT_MS));
    const untilExpiry = Math.max(0, auth.tokenExpiresAt.getTime() - this.clock.nowMs());
    timers.push(setTimeout(() => subscriber.close(), Math.min(untilExpiry, 2 ** 31 - 1)));
    for (const timer of timers) timer.unref();

    res.write(`retry: ${RETRY_MS}\n\n`);
    subscriber.send('ready', { sessionId: auth.sessionId });
    // The session may have ended between the guard's check and the subscription.
    const ended = this.revocations.statusOf(auth.sessionId);
    if (ended) this.hub.endSessions([auth.sessionId], ended, this.clock.now().toISOString());
  }
}
