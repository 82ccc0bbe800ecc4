import { Global, Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { ClusterBus, LocalClusterBus } from './cluster-bus';
import { OutboxPruner } from './outbox-pruner.service';
import { OutboxRelay } from './outbox-relay.service';
import { OutboxRepository } from './outbox.repository';
import { OutboxStats } from './outbox-stats.service';
import { PgNotifyClusterBus } from './pg-notify-cluster-bus';
import { RedisClusterBus } from './redis-cluster-bus';
import { RelayHeartbeat } from './relay-heartbeat.service';
import { TransactionRunner } from './transaction-runner.service';

function transportFor(config: AppConfig): ClusterBus {
  if (config.redisUrl) return new RedisClusterBus(config.redisUrl);
  if (config.databaseUrl) return new PgNotifyClusterBus(config.databaseUrl);
  return new LocalClusterBus();
}

function clusterBusFor(config: AppConfig): ClusterBus {
  const bus = transportFor(config);
  bus.dropOutgoing = config.clusterBusDropPublish;
  return bus;
}

/**
 * The outbox, its relay and the cluster bus; every feature module writes state changes through
 * TransactionRunner.
 */
@Global()
@Module({
  providers: [
    OutboxRelay,
    OutboxPruner,
    OutboxRepository,
    OutboxStats,
    RelayHeartbeat,
    TransactionRunner,
    { provide: ClusterBus, useFactory: clusterBusFor, inject: [AppConfig] },
  ],
  exports: [OutboxRelay, TransactionRunner, ClusterBus, OutboxStats, RelayHeartbeat],
})
export class EventsModule {}
