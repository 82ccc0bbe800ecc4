import { readServerSentEvents, type ServerSentEvent } from './sse';

/** The session and device events the page reacts to (names from the lifecycle event catalog). */
const ENDED = new Set(['session.revoked', 'session.expired']);
const CHANGED = new Set([
  'session.created',
  'device.new',
  'device.trusted',
  'device.untrusted',
  'device.forgotten',
  // Replay could not reach back far enough: what the page shows may be stale, so reload it.
  'stream.reset',
]);

/** How long to wait before reconnecting after the server refused the stream (not a 401). */
const REFUSED_RETRY_MS = 3_000;

export interface LiveHandlers {
  /** The stream is open and subscribed (its first event); `resumed` after a reconnect. */
  ready(resumed: boolean): void;
  /** This page's own session ended elsewhere. */
  ended(): void;
  /** Something in the lists changed (another session or a device). */
  changed(): void;
  /** The stream ended (e.g. its access token expired) or was refused: check, then reconnect. */
  closed(): void;
}

/** Where a reconnect resumes: the id of the last event received (EventSource's lastEventId). */
export interface LiveCursor {
  lastEventId?: string;
}

/** The event's JSON data, or an empty object when it has none (or it is not JSON). */
function dataOf(event: ServerSentEvent): { sessionId?: unknown; resumed?: unknown } {
  try {
    const data: unknown = JSON.parse(event.data);
    return typeof data === 'object' && data !== null ? data : {};
  } catch {
    return {};
  }
}

function sessionIdOf(event: ServerSentEvent): string | undefined {
  const { sessionId } = dataOf(event);
  return typeof sessionId === 'string' ? sessionId : undefined;
}

/**
 * Follows GET /sessions/events with fetch rather than EventSource: a new EventSource cannot send
 * Last-Event-ID, so a stream that ended at access-token expiry would lose the events until the
 * next one opened. The cookies go along (same origin).
 */
export function followSessionEvents(
  currentSessionId: string,
  cursor: LiveCursor,
  handlers: LiveHandlers,
): () => void {
  const abort = new AbortController();
  let ended = false;

  function dispatch(event: ServerSentEvent): void {
    if (event.id !== undefined) cursor.lastEventId = event.id || undefined;
    if (event.type === 'ready') {
      handlers.ready(dataOf(event).resumed === true);
    } else if (ENDED.has(event.type) && sessionIdOf(event) === currentSessionId) {
      ended = true;
      abort.abort();
      handlers.ended();
    } else if (ENDED.has(event.type) || CHANGED.has(event.type)) {
      handlers.changed();
    }
  }

  async function run(): Promise<void> {
    const headers: Record<string, string> = { Accept: 'text/event-stream' };
    if (cursor.lastEventId) headers['Last-Event-ID'] = cursor.lastEventId;
    try {
      const response = await fetch('/sessions/events', {
        headers,
        credentials: 'include',
        cache: 'no-store',
        signal: abort.signal,
      });
      if (!response.ok || !response.body) {
        // A 401 needs a refresh first (closed() does it); anything else, a pause.
        if (response.status !== 401) await pause(REFUSED_RETRY_MS, abort.signal);
      } else {
        await readServerSentEvents(response.body, dispatch);
      }
    } catch {
      // A dropped connection ends the stream like the server closing it.
    }
    if (!ended && !abort.signal.aborted) handlers.closed();
  }

  void run();
  return () => abort.abort();
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
