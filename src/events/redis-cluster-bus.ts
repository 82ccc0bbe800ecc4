import { Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import Redis from 'ioredis';
import { CLUSTER_CHANNELS, ClusterBus, type ClusterChannel } from './cluster-bus';
import type { Tx } from './transaction-runner.service';
import { describeError } from '../common/describe-error';

const PREFIX = 'tessera:';

/** Redis pub/sub, used when REDIS_URL is set. Publishes after commit. */
export class RedisClusterBus extends ClusterBus implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(RedisClusterBus.name);
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private everConnected = false;

  constructor(url: string) {
    super();
    // TCP keepalive probes after 10 s idle (ioredis' default waits for the OS, ~2 h), so a
    // half-open subscriber socket is noticed; the reconciliation backstop covers the gap.
    this.publisher = new Redis(url, {
      lazyConnect: true,
      maxRetriesPerRequest: 2,
      keepAlive: 10_000,
    });
    this.subscriber = new Redis(url, { lazyConnect: true, keepAlive: 10_000 });
  }

  async onModuleInit(): Promise<void> {
    this.subscriber.on('message', (channel: string, raw: string) =>
      this.receive(channel.slice(PREFIX.length), raw),
    );
    this.subscriber.on('ready', () => {
      // ioredis re-subscribes by itself; anything published meanwhile was missed.
      if (this.everConnected) this.resync();
      this.everConnected = true;
    });
    this.subscriber.on('error', (error: Error) => this.logger.warn(`redis: ${error.message}`));
    this.publisher.on('error', (error: Error) => this.logger.warn(`redis: ${error.message}`));
    await Promise.all([this.publisher.connect(), this.subscriber.connect()]);
    await this.subscriber.subscribe(...CLUSTER_CHANNELS.map((channel) => `${PREFIX}${channel}`));
  }

  async onApplicationShutdown(): Promise<void> {
    this.publisher.disconnect();
    this.subscriber.disconnect();
  }

  protected async sendOnCommit(tx: Tx, channel: ClusterChannel, payload: string): Promise<void> {
    tx.afterCommit(() => {
      this.send(channel, payload).catch((error: unknown) =>
        this.logger.warn(`publish failed: ${describeError(error)}`),
      );
    });
  }

  protected async send(channel: ClusterChannel, payload: string): Promise<void> {
    await this.publisher.publish(PREFIX + channel, this.frame(payload));
  }
}
