import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, decodeJwt, jwtVerify, type JWTPayload } from 'jose';

/** One raw POST the receiver got, whatever it answered. */
export interface ReceivedPush {
  at: number;
  contentType: string | undefined;
  authorization: string | undefined;
  body: string;
  /** The SET's jti, read without verification (for counting). */
  jti: string | undefined;
}

/**
 * What the receiver does with a push: answer with a status (and body), or hold the request open
 * without answering (to crash the transmitter while it waits).
 */
export type PushAnswer = { status: number; body?: string } | 'hold';

/**
 * An RFC 8935 push receiver for the tests: records every raw POST and answers as `answer` says
 * (202 by default). `verify` checks a SET the way a demanding receiver does: the JWKS, typ
 * secevent+jwt, a pinned issuer and audience.
 */
export class SsfReceiver {
  readonly pushes: ReceivedPush[] = [];
  answer: (push: ReceivedPush) => PushAnswer = () => ({ status: 202 });
  private readonly held: ServerResponse[] = [];
  private readonly waiters: Array<() => void> = [];
  private server?: Server;
  port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}/events`;
  }

  /** Listens on `port` (0: any free one). */
  async start(port = 0): Promise<void> {
    const server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((done) => server.listen(port, '127.0.0.1', done));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  async stop(): Promise<void> {
    for (const res of this.held.splice(0)) res.destroy();
    const server = this.server;
    this.server = undefined;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
    }
  }

  /** Resolves once `count` pushes have arrived in total (rejects after `timeoutMs`). */
  async waitForPushes(count: number, timeoutMs = 10_000): Promise<ReceivedPush[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.pushes.length < count) {
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`expected ${count} pushes, got ${this.pushes.length} in ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.pushes.slice(0, count);
  }

  /** How many raw POSTs carried each jti. */
  countsByJti(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const push of this.pushes) {
      const key = push.jti ?? '(none)';
      counts[key] = (counts[key] ?? 0) + 1;
    }
    return counts;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let jti: string | undefined;
      try {
        jti = String(decodeJwt(body).jti);
      } catch {
        jti = undefined;
      }
      const push: ReceivedPush = {
        at: Date.now(),
        contentType: req.headers['content-type'],
        authorization: req.headers.authorization,
        body,
        jti,
      };
      this.pushes.push(push);
      for (const wake of this.waiters.splice(0)) wake();
      const answer = this.answer(push);
      if (answer === 'hold') {
        this.held.push(res);
        return;
      }
      res.writeHead(answer.status, answer.body ? { 'Content-Type': 'application/json' } : {});
      res.end(answer.body);
    });
  }
}

/** Verifies a SET as a receiver must: JWKS signature, typ, issuer and audience pinned. */
export async function verifySet(
  token: string,
  options: { jwksUrl: string; issuer: string; audience: string },
): Promise<{ payload: JWTPayload; header: Record<string, unknown> }> {
  const jwks = createRemoteJWKSet(new URL(options.jwksUrl));
  const { payload, protectedHeader } = await jwtVerify(token, jwks, {
    typ: 'secevent+jwt',
    issuer: options.issuer,
    audience: options.audience,
  });
  return { payload, header: protectedHeader };
}
