/** One dispatched Server-Sent Event. */
export interface SseEvent {
  event: string;
  data: string;
  id?: string;
}

/**
 * An incremental text/event-stream parser (WHATWG HTML §9.2.6, the parts a feed needs): feed it
 * decoded chunks as they arrive, in any split; it calls onEvent per dispatched event and
 * onComment per comment line (heartbeats).
 */
export class SseParser {
  private buffer = '';
  private data: string[] = [];
  private eventType = '';
  private eventId: string | undefined;

  constructor(
    private readonly onEvent: (event: SseEvent) => void,
    private readonly onComment: (text: string) => void = () => undefined,
  ) {}

  push(chunk: string): void {
    this.buffer += chunk;
    let end = this.lineEnd();
    while (end >= 0) {
      const line = this.buffer.slice(0, end);
      const skip = this.buffer[end] === '\r' && this.buffer[end + 1] === '\n' ? 2 : 1;
      this.buffer = this.buffer.slice(end + skip);
      this.line(line);
      end = this.lineEnd();
    }
  }

  private lineEnd(): number {
    const match = /[\r\n]/.exec(this.buffer);
    if (!match) return -1;
    // A lone '\r' at the end may be the first half of '\r\n': wait for more.
    if (match.index === this.buffer.length - 1 && this.buffer[match.index] === '\r') return -1;
    return match.index;
  }

  private line(line: string): void {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return this.onComment(line.slice(1).trim());
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.eventType = value;
    else if (field === 'id' && !value.includes('\0')) this.eventId = value;
  }

  private dispatch(): void {
    const hasData = this.data.length > 0;
    const event: SseEvent = { event: this.eventType || 'message', data: this.data.join('\n') };
    if (this.eventId !== undefined) event.id = this.eventId;
    this.data = [];
    this.eventType = '';
    this.eventId = undefined;
    if (hasData) this.onEvent(event);
  }
}
