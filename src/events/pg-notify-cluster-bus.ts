import { Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Client } from 'pg';
import { ClusterBus, type ClusterChannel } from './cluster-bus';
import { pgNotifyRepository } from './pg-notify.repository';
import type { Tx } from './transaction-runner.service';
import { describeError } from '../common/describe-error';

const CHANNELS: readonly ClusterChannel[] = ['session_ended', 'user_event'];
const PREFIX = 'tessera_';

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

  constructor(private readonly url: string) {
    super();
  }

  async onModuleInit(): Promise<void> {
    await this.connect();
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
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
    const client = new Client({ connectionString: this.url, application_name: 'tessera-listener' });
    client.on('notification', (message) => {
      this.receive(message.channel.slice(PREFIX.length), message.payload);
    });
    client.on('error', (error) => this.logger.warn(`listener connection error: ${error.message}`));
    try {
      await client.connect();
      for (const channel of CHANNELS) await pgNotifyRepository.listen(client, PREFIX + channel);
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
