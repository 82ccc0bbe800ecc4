import {
  type BeforeApplicationShutdown,
  Injectable,
  Logger,
  type OnModuleInit,
} from '@nestjs/common';
import { AppException } from '../common/app.exception';
import { Clock } from '../common/clock';
import { AppConfig } from '../config/app-config';
import { ClusterBus, type SessionEndedMessage, type UserEventMessage } from '../events/cluster-bus';
import type { LifecycleEvent } from '../events/event-catalog';
import { OutboxRelay } from '../events/outbox-relay.service';
import { describeError } from '../common/describe-error';
import { LiveReplayBuffer, type ReplayResult } from './live-replay-buffer';

/** The compact copy of an event that crosses the cluster bus. */
export type LiveEvent = UserEventMessage;

/** One open stream on this instance. */
export interface LiveSubscriber {
  readonly userId: string;
  readonly sessionId: string;
  send(type: string, data: unknown, id?: string): void;
  /** Ends the stream (idempotent). */
  close(): void;
}

/** What reaches a user's devices: their session and device events, and their alerts. */
export function isStreamed(type: string): boolean {
  return type.startsWith('session.') || type.startsWith('device.') || type === 'alert.raised';
}

function compact(event: LifecycleEvent & { userId: string }): LiveEvent {
  return {
    id: event.id,
    type: event.type,
    occurredAt: event.occurredAt,
    userId: event.userId,
    sessionId: event.sessionId,
    deviceId: event.deviceId,
    data: event.data,
  };
}

/**
 * Fan-out of user events to the streams open on this instance. The instance whose relay
 * published an event puts a compact copy on the cluster bus ('user_event'); every instance
 * (itself included) delivers it to its local subscribers. Revocations take the faster
 * 'session_ended' path, announced at commit, so a revoked stream ends at once.
 */
@Injectable()
export class LiveHub implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger(LiveHub.name);
  private readonly byUser = new Map<string, Set<LiveSubscriber>>();
  private readonly bySession = new Map<string, Set<LiveSubscriber>>();
  private total = 0;
  private readonly replay = new LiveReplayBuffer();

  constructor(
    private readonly relay: OutboxRelay,
    private readonly bus: ClusterBus,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    this.relay.observe((event) => this.onPublished(event));
    this.bus.subscribe('user_event', (message) => this.onUserEvent(message));
    this.bus.subscribe('session_ended', (message) => this.onSessionEnded(message));
  }

  /** Open streams would hold a graceful shutdown forever: end them (clients reconnect elsewhere). */
  beforeApplicationShutdown(): void {
    for (const set of [...this.byUser.values()])
      for (const subscriber of [...set]) subscriber.close();
  }

  get subscriberCount(): number {
    return this.total;
  }

  /**
   * Caps open streams (issue 10: one token opened 150). Call before the response starts: at
   * the instance cap it throws 503; at the session or user cap it closes that scope's oldest
   * streams (a reloaded tab must not be refused because its old stream has not timed out yet).
   */
  makeRoom(userId: string, sessionId: string): void {
    const { perSession, perUser, perInstance } = this.config.liveStreams;
    this.closeOldest(this.bySession.get(sessionId), perSession - 1);
    this.closeOldest(this.byUser.get(userId), perUser - 1);
    if (this.total >= perInstance) {
      throw new AppException('service_unavailable', 'Too many open event streams', {
        retryAfterSeconds: 5,
      });
    }
  }

  /** The user's events after Last-Event-ID (see LiveReplayBuffer for how far back). */
  missedSince(userId: string, lastEventId: string): ReplayResult {
    return this.replay.after(userId, lastEventId, this.clock.nowMs());
  }

  /** The id of the user's newest event, the position a new stream starts at. */
  latestEventId(userId: string): string | undefined {
    return this.replay.latestId(userId, this.clock.nowMs());
  }

  add(subscriber: LiveSubscriber): void {
    this.index(this.byUser, subscriber.userId).add(subscriber);
    this.index(this.bySession, subscriber.sessionId).add(subscriber);
    this.total += 1;
  }

  remove(subscriber: LiveSubscriber): void {
    if (this.byUser.get(subscriber.userId)?.has(subscriber)) this.total -= 1;
    this.unindex(this.byUser, subscriber.userId, subscriber);
    this.unindex(this.bySession, subscriber.sessionId, subscriber);
  }

  /** Sets keep insertion order: the first ones are the oldest. */
  private closeOldest(streams: Set<LiveSubscriber> | undefined, keep: number): void {
    if (!streams) return;
    for (const subscriber of [...streams].slice(0, Math.max(0, streams.size - keep))) {
      subscriber.send('stream.replaced', { reason: 'too_many_streams' });
      subscriber.close();
    }
  }

  /** Ends the streams of sessions that ended (revoked or expired) with that event. */
  endSessions(ids: readonly string[], status: 'revoked' | 'expired', endedAt: string): void {
    for (const sessionId of ids) {
      for (const subscriber of [...(this.bySession.get(sessionId) ?? [])]) {
        subscriber.send(`session.${status}`, { sessionId, occurredAt: endedAt });
        subscriber.close();
      }
    }
  }

  private onPublished(event: LifecycleEvent): void {
    // An event about no account (an admin-only alert, an unknown email) has no stream to reach.
    if (!isStreamed(event.type) || event.userId === undefined) return;
    this.bus
      .publish('user_event', compact({ ...event, userId: event.userId }))
      .catch((error: unknown) => {
        this.logger.warn(`live fan-out failed: ${describeError(error)}`);
      });
  }

  private onUserEvent(event: LiveEvent): void {
    // Remembered for reconnects; an event delivered twice (relay retry) is sent once.
    if (!this.replay.record(event, this.clock.nowMs())) return;
    for (const subscriber of [...(this.byUser.get(event.userId) ?? [])]) {
      subscriber.send(event.type, event, event.id);
      const ended = event.type === 'session.revoked' || event.type === 'session.expired';
      if (ended && event.sessionId === subscriber.sessionId) subscriber.close();
    }
  }

  private onSessionEnded(message: SessionEndedMessage): void {
    this.endSessions(message.ids, message.s, new Date(message.t).toISOString());
  }

  private index(map: Map<string, Set<LiveSubscriber>>, key: string): Set<LiveSubscriber> {
    let set = map.get(key);
    if (!set) {
      set = new Set();
      map.set(key, set);
    }
    return set;
  }

  private unindex(
    map: Map<string, Set<LiveSubscriber>>,
    key: string,
    subscriber: LiveSubscriber,
  ): void {
    const set = map.get(key);
    if (!set) return;
    set.delete(subscriber);
    if (set.size === 0) map.delete(key);
  }
}
