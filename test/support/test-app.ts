import type { NestExpressApplication } from '@nestjs/platform-express';
import { getDataSourceToken } from '@nestjs/typeorm';
import request from 'supertest';
import type { DataSource } from 'typeorm';
import { createApp } from '../../src/app.factory';
import type { AlertingModuleOptions } from '../../src/alerting/alerting.module';
import type { AuthModuleOptions } from '../../src/auth/auth.module';
import { ManualClock } from '../../src/common/clock';
import { JsonLogger } from '../../src/common/json-logger';
import { type AppConfig, loadConfig } from '../../src/config/app-config';
import { OutboxRelay } from '../../src/events/outbox-relay.service';
import type { SessionsModuleOptions } from '../../src/sessions/sessions.module';
import { migratedSnapshot } from './embedded-snapshot';
import { createMigratedScratchDatabase, serverUrl } from './test-database';

export interface TestApp {
  app: NestExpressApplication;
  http: ReturnType<typeof request>;
  clock: ManualClock;
  config: AppConfig;
  dataSource: DataSource;
  /** Publishes every committed outbox event now (listeners are otherwise asynchronous). */
  flushEvents(): Promise<void>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** Environment variables, as an operator would set them. */
  env?: Record<string, string>;
  auth?: AuthModuleOptions;
  sessions?: SessionsModuleOptions;
  alerting?: AlertingModuleOptions;
  /** Use this database URL as is (no scratch database), e.g. to share one between apps. */
  databaseUrl?: string;
  logs?: string[];
  /** Keys generated into signing_keys (rotatable) instead of the suite's shared static key. */
  generatedSigningKeys?: boolean;
}

/**
 * NODE_ENV=test and cheap argon2id (TEST_CHEAP_PASSWORD_HASHING), unless the suite sets NODE_ENV
 * itself (e.g. production defaults) or TEST_CHEAP_PASSWORD_HASHING=false: hashing at the real
 * parameters, hundreds of times per run, costs the suite minutes and tests nothing more. Suites
 * about hashing itself keep the real parameters (test/lockout-throttle.e2e-spec.ts).
 */
function testOnlyDefaults(env: Record<string, string> = {}): Record<string, string> {
  if ((env.NODE_ENV ?? 'test') !== 'test') return {};
  return { NODE_ENV: 'test', TEST_CHEAP_PASSWORD_HASHING: 'true' };
}

/**
 * Boots the real application against a real database: a scratch database on the server when
 * DATABASE_URL is set, otherwise an in-memory embedded PostgreSQL. Time is a ManualClock.
 */
export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const server = options.databaseUrl ? undefined : serverUrl();
  const scratch = server ? await createMigratedScratchDatabase(server) : undefined;
  const databaseUrl = options.databaseUrl ?? scratch?.url;
  const base = loadConfig({
    RATE_LIMIT_ENABLED: 'false',
    LOG_LEVEL: 'warn',
    ...testOnlyDefaults(options.env),
    ...options.env,
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
  });
  const config: AppConfig = {
    ...base,
    databaseUrl,
    embeddedInMemory: !databaseUrl,
    jwt: {
      ...base.jwt,
      privateKeyPem:
        base.jwt.privateKeyPem ??
        (options.generatedSigningKeys ? undefined : process.env.TESSERA_TEST_SIGNING_KEY),
    },
  };
  const clock = new ManualClock(Date.now());
  const logs = options.logs;
  const logger = new JsonLogger(config.logLevel, (line) => {
    if (logs) logs.push(line);
    else if (!line.includes('"level":"debug"')) process.stderr.write(`${line}\n`);
  });
  try {
    const tessera = await createApp(config, {
      clock,
      logger,
      embeddedSnapshot: databaseUrl ? undefined : await migratedSnapshot(),
      auth: options.auth,
      sessions: options.sessions,
      alerting: options.alerting,
    });
    const { app } = tessera;
    const relay = app.get(OutboxRelay);
    return {
      app,
      http: request(app.getHttpServer()),
      clock,
      config,
      dataSource: app.get<DataSource>(getDataSourceToken()),
      flushEvents: () => relay.flush(),
      close: async () => {
        await tessera.close();
        await scratch?.drop();
      },
    };
  } catch (error) {
    await scratch?.drop();
    throw error;
  }
}
