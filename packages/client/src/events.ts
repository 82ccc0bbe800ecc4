import type { TesseraError } from './errors';

/** What a client tells its listeners. */
export interface TesseraEvents {
  /** A login (or second step) succeeded. */
  signedIn: { userId: string; sessionId: string };
  /** New tokens were obtained (by this client or, for `source: 'peer'`, another tab). */
  refreshed: { source: 'self' | 'peer' };
  /** The session ended (logout, revoked elsewhere, refresh token reuse, expiry). Once per session. */
  signedOut: { reason: string; error?: TesseraError };
}

export type TesseraEventName = keyof TesseraEvents;
export type Listener<E extends TesseraEventName> = (event: TesseraEvents[E]) => void;

/** A minimal typed emitter; a throwing listener does not stop the others. */
export class Emitter {
  private readonly listeners = new Map<TesseraEventName, Set<(event: never) => void>>();

  on<E extends TesseraEventName>(name: E, listener: Listener<E>): () => void {
    const set = this.listeners.get(name) ?? new Set();
    set.add(listener);
    this.listeners.set(name, set);
    return () => set.delete(listener);
  }

  emit<E extends TesseraEventName>(name: E, event: TesseraEvents[E]): void {
    for (const listener of this.listeners.get(name) ?? []) {
      try {
        (listener as Listener<E>)(event);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}
