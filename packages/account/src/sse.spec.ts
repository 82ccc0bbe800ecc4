import { readServerSentEvents, type ServerSentEvent } from './sse';

/** A body delivering `chunks` one read at a time (splits fall wherever the test puts them). */
function body(chunks: Array<string | Uint8Array>): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks)
        controller.enqueue(typeof chunk === 'string' ? encoder.encode(chunk) : chunk);
      controller.close();
    },
  });
}

async function eventsOf(chunks: Array<string | Uint8Array>): Promise<ServerSentEvent[]> {
  const events: ServerSentEvent[] = [];
  await readServerSentEvents(body(chunks), (event) => events.push(event));
  return events;
}

describe('readServerSentEvents', () => {
  it('dispatches on a blank line, with the type, the id and multi-line data joined', async () => {
    expect(
      await eventsOf(['id: 7\nevent: session.revoked\ndata: {"a":1}\ndata: {"b":2}\n\n']),
    ).toEqual([{ type: 'session.revoked', data: '{"a":1}\n{"b":2}', id: '7' }]);
  });

  it('skips comments (heartbeats), defaults the type to message, and accepts CRLF', async () => {
    expect(await eventsOf([': heartbeat\r\n\r\ndata: plain\r\n\r\n'])).toEqual([
      { type: 'message', data: 'plain', id: undefined },
    ]);
  });

  it('reassembles lines and characters split across reads', async () => {
    const bytes = new TextEncoder().encode('event: x\ndata: 5 €\n\n');
    const euro = bytes.length - 5; // "€" is the three bytes before the two newlines
    const cuts = [0, 2, 11, euro + 1, bytes.length]; // mid-field, mid-line, inside "€"
    const chunks = cuts.slice(1).map((end, i) => bytes.slice(cuts[i], end));
    expect(await eventsOf(chunks)).toEqual([{ type: 'x', data: '5 €', id: undefined }]);
  });

  it('strips one space after the colon only, and takes a field without a colon as empty', async () => {
    expect(await eventsOf(['data:  two spaces\ndata\n\n'])).toEqual([
      { type: 'message', data: ' two spaces\n', id: undefined },
    ]);
  });

  it('ignores an id holding NUL, and an event the stream ends before dispatching', async () => {
    expect(await eventsOf(['id: a\0b\ndata: kept\n\ndata: cut off\n'])).toEqual([
      { type: 'message', data: 'kept', id: undefined },
    ]);
  });

  it('dispatches an event carrying only an id, so a reader can resume from it', async () => {
    // Unlike EventSource (which records the id without an event), the page needs it as an event.
    expect(await eventsOf(['id: 42\n\n'])).toEqual([{ type: 'message', data: '', id: '42' }]);
  });
});
