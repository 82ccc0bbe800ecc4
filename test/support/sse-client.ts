/** A minimal EventSource over fetch, for the tests of GET /sessions/events. */
export interface SseEvent {
  /** The `id:` field, when the server set one. */
  id?: string;
  type: string;
  data: Record<string, unknown>;
  receivedAt: number;
}

/** A minimal EventSource over fetch: collects events until the server ends the stream. */
export class SseClient {
  readonly events: SseEvent[] = [];
  /** What an EventSource would send as Last-Event-ID when it reconnects. */
  lastEventId?: string;
  ended = false;
  private readonly abort = new AbortController();
  private done!: Promise<void>;

  static async open(url: string, headers: Record<string, string>): Promise<SseClient> {
    const client = new SseClient();
    const res = await fetch(url, { headers, signal: client.abort.signal });
    if (res.status !== 200 || !res.body)
      throw new Error(`stream refused: ${res.status} ${await res.text()}`);
    const type = res.headers.get('content-type') ?? '';
    if (!type.startsWith('text/event-stream')) throw new Error(`not an event stream: ${type}`);
    client.done = client.read(res.body);
    await client.next('ready');
    return client;
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of body) {
        buffer += decoder.decode(chunk, { stream: true });
        let split = buffer.indexOf('\n\n');
        while (split >= 0) {
          this.parse(buffer.slice(0, split));
          buffer = buffer.slice(split + 2);
          split = buffer.indexOf('\n\n');
        }
      }
    } catch {
      // aborted by close()
    }
    this.ended = true;
  }

  private parse(block: string): void {
    let type = 'message';
    let data = '';
    let id: string | undefined;
    for (const line of block.split('\n')) {
      if (line.startsWith('event: ')) type = line.slice(7);
      else if (line.startsWith('data: ')) data += line.slice(6);
      else if (line.startsWith('id: ')) id = line.slice(4);
    }
    if (id !== undefined) this.lastEventId = id;
    if (data) this.events.push({ id, type, data: JSON.parse(data), receivedAt: performance.now() });
  }

  async next(type: string, timeoutMs = 3000, where?: (e: SseEvent) => boolean): Promise<SseEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find((e) => e.type === type && (!where || where(e)));
      if (found) return found;
      if (Date.now() > deadline)
        throw new Error(
          `no ${type} event within ${timeoutMs} ms: ${JSON.stringify(this.events.map((e) => e.type))}`,
        );
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  async waitEnded(timeoutMs = 2000): Promise<void> {
    await Promise.race([this.done, new Promise((resolve) => setTimeout(resolve, timeoutMs))]);
    if (!this.ended) throw new Error(`the stream did not end within ${timeoutMs} ms`);
  }

  close(): void {
    this.abort.abort();
  }
}
