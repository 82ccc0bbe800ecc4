import { type SseEvent, SseParser } from './sse-parser';

function parse(chunks: string[]): { events: SseEvent[]; comments: string[] } {
  const events: SseEvent[] = [];
  const comments: string[] = [];
  const sut = new SseParser(
    (event) => events.push(event),
    (comment) => comments.push(comment),
  );
  for (const chunk of chunks) sut.push(chunk);
  return { events, comments };
}

describe('SseParser', () => {
  it('dispatches named events with their id, however the stream is split', () => {
    const text = 'retry: 1000\n\nid: 42\nevent: ended\ndata: {"a":1}\n\n: heartbeat\n\n';
    const whole = parse([text]);
    const byChar = parse([...text]);
    expect(whole).toEqual({
      events: [{ event: 'ended', data: '{"a":1}', id: '42' }],
      comments: ['heartbeat'],
    });
    expect(byChar).toEqual(whole);
  });

  it('joins data lines, accepts CRLF split between chunks and defaults the type to message', () => {
    const { events } = parse(['data: one\r', '\ndata:two\r\n\r\n']);
    expect(events).toEqual([{ event: 'message', data: 'one\ntwo' }]);
  });

  it('dispatches nothing for an event without data or before its blank line', () => {
    expect(parse(['event: ready\n\nid: 1\nevent: ended\ndata: x\n']).events).toEqual([]);
  });
});
