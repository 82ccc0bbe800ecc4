/** One dispatched Server-Sent Event; `id` is present when the event carried an `id:` field. */
export interface ServerSentEvent {
  type: string;
  data: string;
  id?: string;
}

/**
 * Reads a text/event-stream body until it ends, calling `onEvent` per event (the parsing rules of
 * the HTML standard: fields, comments, multi-line data, a blank line dispatches).
 */
export async function readServerSentEvents(
  body: ReadableStream<Uint8Array>,
  onEvent: (event: ServerSentEvent) => void,
): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let event: { type: string; data: string[]; id?: string } = { type: '', data: [] };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline).replace(/\r$/, '');
      buffer = buffer.slice(newline + 1);
      if (line === '') {
        if (event.data.length > 0 || event.type !== '' || event.id !== undefined) {
          onEvent({ type: event.type || 'message', data: event.data.join('\n'), id: event.id });
        }
        event = { type: '', data: [] };
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const text = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event.type = text;
      else if (field === 'data') event.data.push(text);
      else if (field === 'id' && !text.includes('\0')) event.id = text;
    }
  }
}
