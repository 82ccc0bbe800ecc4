import { OnEvent } from '@nestjs/event-emitter';
import type { EventType } from './event-catalog';

/**
 * The one way to subscribe to lifecycle events. A typed name (a misspelt event fails to
 * compile; '**' is every event) and `suppressErrors: false`, so a listener's failure reaches the
 * outbox relay, which retries the event: with @OnEvent's default the error would be logged and
 * the effect (an audit record, an alert) lost. Listeners must be idempotent by event id.
 */
export const OnLifecycleEvent = (type: EventType | '**'): MethodDecorator =>
  OnEvent(type, { suppressErrors: false });
