/**
 * One PGlite database served over the PostgreSQL wire protocol to several processes: the
 * embedded variant of tests that run two real instances on one database.
 *
 * pglite-socket alone is not enough for two busy clients: it funnels every connection into one
 * PGlite backend message by message, so one connection's Parse can land between another's Bind
 * and Execute ("unnamed prepared statement does not exist", "portal does not exist"). This file
 * puts a small proxy in front that gives the backend to one connection at a time, from its
 * first message until the backend reports ReadyForQuery outside a transaction. That is the
 * discipline the in-process embedded database already imposes (one connection, queries wait for
 * an open transaction), so the application needs nothing special.
 */
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { connect, createServer, type Server, type Socket } from 'node:net';

const READY_FOR_QUERY = 0x5a; // 'Z'
const IDLE = 0x49; // 'I': not in a transaction block

interface Connection {
  client: Socket;
  upstream: Socket;
  /** Client bytes not yet forwarded (waiting for the backend). */
  pending: Buffer[];
  /** Backend bytes not yet framed into messages. */
  backendBuffer: Buffer;
}

class SerializingProxy {
  private server?: Server;
  private holder?: Connection;
  private readonly waiting: Connection[] = [];
  private readonly connections = new Set<Connection>();
  port = 0;

  constructor(private readonly targetPort: number) {}

  async start(): Promise<void> {
    const server = createServer((client) => this.accept(client));
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const address = server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
    this.server = server;
  }

  async stop(): Promise<void> {
    for (const connection of this.connections) {
      connection.client.destroy();
      connection.upstream.destroy();
    }
    await new Promise<void>((done) => (this.server ? this.server.close(() => done()) : done()));
  }

  private accept(client: Socket): void {
    const upstream = connect(this.targetPort, '127.0.0.1');
    const connection: Connection = {
      client,
      upstream,
      pending: [],
      backendBuffer: Buffer.alloc(0),
    };
    this.connections.add(connection);
    client.on('data', (chunk: Buffer) => {
      connection.pending.push(chunk);
      this.request(connection);
    });
    upstream.on('data', (chunk: Buffer) => {
      client.write(chunk);
      if (this.readyAndIdle(connection, chunk)) this.release(connection);
    });
    const close = (): void => {
      if (!this.connections.delete(connection)) return;
      client.destroy();
      upstream.destroy();
      const index = this.waiting.indexOf(connection);
      if (index >= 0) this.waiting.splice(index, 1);
      this.release(connection);
    };
    for (const socket of [client, upstream]) {
      socket.on('close', close);
      socket.on('error', close);
    }
  }

  /** Forwards the connection's bytes now if it holds the backend (or can take it), else queues. */
  private request(connection: Connection): void {
    if (!this.holder) this.holder = connection;
    if (this.holder === connection) {
      for (const chunk of connection.pending.splice(0)) connection.upstream.write(chunk);
    } else if (!this.waiting.includes(connection)) {
      this.waiting.push(connection);
    }
  }

  private release(connection: Connection): void {
    if (this.holder !== connection || connection.pending.length > 0) return;
    this.holder = undefined;
    const next = this.waiting.shift();
    if (next) this.request(next);
  }

  /** Frames the backend's messages; true when the last ReadyForQuery says "idle". */
  private readyAndIdle(connection: Connection, chunk: Buffer): boolean {
    let buffer = Buffer.concat([connection.backendBuffer, chunk]);
    let idle = false;
    while (buffer.length >= 5) {
      const length = buffer.readInt32BE(1);
      if (buffer.length < 1 + length) break;
      if (buffer[0] === READY_FOR_QUERY) idle = buffer[5] === IDLE;
      buffer = buffer.subarray(1 + length);
    }
    connection.backendBuffer = Buffer.from(buffer);
    return idle;
  }
}

export interface SharedPglite {
  /** postgres://… for DATABASE_URL */
  url: string;
  close(): Promise<void>;
}

export async function startSharedPglite(): Promise<SharedPglite> {
  const pglite = await PGlite.create();
  const socketServer = new PGLiteSocketServer({
    db: pglite,
    port: 0,
    host: '127.0.0.1',
    maxConnections: 100,
  });
  await socketServer.start();
  const [, port] = socketServer.getServerConn().split(':');
  const proxy = new SerializingProxy(Number(port));
  await proxy.start();
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${proxy.port}/postgres`,
    close: async () => {
      await proxy.stop();
      await socketServer.stop();
      await pglite.close();
    },
  };
}
