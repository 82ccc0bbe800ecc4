import { Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Client } from 'pg';
import { CLUSTER_CHANNELS, ClusterBus, type ClusterChannel } from './cluster-bus';
import { pgNotifyRepository } from './pg-notify.repository';
import type { Tx } from './transaction-runner.service';
import { describeError } from '../common/describe-error';

const CHANNELS: readonly ClusterChannel[] = CLUSTER_CHANNELS;
const PREFIX = 'tessera_';
/** The listener's heartbeat: a NOTIFY to itself that must come back, else it reconnects. */
const PING_CHANNEL = `${PREFIX}listener_ping`;
const PING_INTERVAL_MS = 10_000;
const PING_TIMEOUT_MS = 5_000;

/**
 * PostgreSQL LISTEN/NOTIFY. NOTIFY inside the state-changing transaction is delivered only on
 * commit, so a revocation is announced exactly when it becomes true. A dedicated connection
 * listens; when it drops, it reconnects with backoff and asks subscribers to resync.
 */
export class PgNotifyClusterBus extends ClusterBus implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(PgNotifyClusterBus.name);
  private client?: Client;
  private closed = false;
  private retryMs = 250;
  private heartbeat?: NodeJS.Timeout;
  private pingSentAt?: number;
  private lastPongAt = 0;

  constructor(private readonly url: string) {
    super();
  }

  async onModuleInit(): Promise<void> {
    await this.connect();
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    clearInterval(this.heartbeat);
    await this.client?.end().catch(() => undefined);
  }

  protected async sendOnCommit(tx: Tx, channel: ClusterChannel, payload: string): Promise<void> {
    await pgNotifyRepository.notifyOnCommit(tx, PREFIX + channel, this.frame(payload));
  }

  protected async send(channel: ClusterChannel, payload: string): Promise<void> {
    const client = this.client;
    if (!client) return;
    await pgNotifyRepository.notify(client, PREFIX + channel, this.frame(payload));
  }

  private async connect(): Promise<void> {
    const client = new Client({
      connectionString: this.url,
      application_name: 'tessera-listener',
      // TCP keepalive lets the kernel notice a dead peer; the ping below notices the rest.
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    });
    client.on('notification', (message) => {
      if (message.channel === PING_CHANNEL) {
        this.pingSentAt = undefined;
        this.lastPongAt = Date.now();
        return;
      }
      this.receive(message.channel.slice(PREFIX.length), message.payload);
    });
    client.on('error', (error) => this.logger.warn(`listener connection error: ${error.message}`));
    try {
      await client.connect();
      for (const channel of CHANNELS) await pgNotifyRepository.listen(client, PREFIX + channel);
      await pgNotifyRepository.listen(client, PING_CHANNEL);
    } catch (error) {
      // Not awaited: ending a half-open connection can wait on the network; the retry must not.
      client.end().catch(() => undefined);
      throw error;
    }
    if (this.closed) {
      client.end().catch(() => undefined);
      return;
    }
    // Only a connection that was established reconnects on 'end'. A failed attempt also emits
    // 'end', and the caller already retries it: listening here too doubled the retry chains at
    // every failure, leaving one extra LISTEN connection per chain once the database came back.
    client.on('end', () => this.reconnectLater());
    this.client = client;
    this.retryMs = 250;
    this.startHeartbeat(client);
  }

  /**
   * A half-open socket (a NAT or firewall dropped the connection silently) never reports an
   * error: notifications simply stop. Every PING_INTERVAL_MS the listener notifies itself; if
   * the ping has not come back within PING_TIMEOUT_MS, the connection is abandoned, and the
   * reconnect resyncs subscribers from the database.
   */
  private startHeartbeat(client: Client): void {
    clearInterval(this.heartbeat);
    this.pingSentAt = undefined;
    this.heartbeat = setInterval(
      () => {
        if (this.closed || this.client !== client) return;
        if (this.pingSentAt !== undefined && Date.now() - this.pingSentAt > PING_TIMEOUT_MS) {
          this.logger.warn('listener ping not answered; reconnecting');
          clearInterval(this.heartbeat);
          client.removeAllListeners('end');
          // Not awaited: ending a half-open connection can wait on the network.
          client.end().catch(() => undefined);
          this.reconnectLater();
          return;
        }
        if (this.pingSentAt !== undefined) return;
        this.pingSentAt = Date.now();
        pgNotifyRepository.notify(client, PING_CHANNEL, 'ping').catch(() => undefined);
      },
      Math.min(PING_INTERVAL_MS, PING_TIMEOUT_MS) / 2,
    );
    this.heartbeat.unref();
  }

  private reconnectLater(): void {
    this.client = undefined;
    if (this.closed) return;
    const delay = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, 10_000);
    setTimeout(() => {
      if (this.closed) return;
      this.connect().then(
        () => {
          if (this.closed) return;
          this.logger.log('listener reconnected; resyncing');
          this.resync();
        },
        (error: unknown) => {
          this.logger.warn(`listener reconnect failed: ${describeError(error)}`);
          this.reconnectLater();
        },
      );
    }, delay).unref();
  }
}
