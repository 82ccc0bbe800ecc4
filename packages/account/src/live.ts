/** The session and device events the page reacts to (names from the lifecycle event catalog). */
const ENDED = ['session.revoked', 'session.expired'] as const;
const CHANGED = [
  'session.created',
  'device.new',
  'device.trusted',
  'device.untrusted',
  'device.forgotten',
] as const;

export interface LiveHandlers {
  /** The stream is open and subscribed (its first event). */
  ready(): void;
  /** This page's own session ended elsewhere. */
  ended(): void;
  /** Something in the lists changed (another session or a device). */
  changed(): void;
  /** The stream closed for good (e.g. its access token expired): reconnect after a check. */
  closed(): void;
}

function sessionIdOf(event: MessageEvent): string | undefined {
  try {
    const data = JSON.parse(String(event.data)) as { sessionId?: unknown };
    return typeof data.sessionId === 'string' ? data.sessionId : undefined;
  } catch {
    return undefined;
  }
}

/** Follows GET /sessions/events (cookies go along: same origin, withCredentials for CORS). */
export function followSessionEvents(currentSessionId: string, handlers: LiveHandlers): () => void {
  const source = new EventSource('/sessions/events', { withCredentials: true });
  for (const type of ENDED) {
    source.addEventListener(type, (event) => {
      if (sessionIdOf(event) === currentSessionId) {
        source.close();
        handlers.ended();
      } else {
        handlers.changed();
      }
    });
  }
  source.addEventListener('ready', () => handlers.ready());
  for (const type of CHANGED) source.addEventListener(type, () => handlers.changed());
  source.addEventListener('error', () => {
    // CONNECTING: the browser retries by itself. CLOSED: it was refused (401), so let the
    // client refresh (or learn the session is over) before following again.
    if (source.readyState === EventSource.CLOSED) handlers.closed();
  });
  return () => source.close();
}
