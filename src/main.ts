import { accessStartupNote } from './config/access-defaults';
import { ConfigError, loadConfig } from './config/app-config';
import { createApp } from './app.factory';
import { JsonLogger } from './common/json-logger';
import { describeError } from './common/describe-error';
import { applyMemorySettings } from './memory-settings';

applyMemorySettings();

function loadDotEnv(): void {
  try {
    process.loadEnvFile('.env');
  } catch {
    // .env is optional
  }
}

async function bootstrap(): Promise<void> {
  loadDotEnv();
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  const logger = new JsonLogger(config.logLevel);
  const tessera = await createApp(config, { logger });
  const { app } = tessera;
  await app.listen(config.port, config.host);
  const server = app.getHttpServer();
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const base = `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${port}`;
  logger.log(
    {
      msg: `Tessera listening on ${base} (docs: ${base}/docs)`,
      api: base,
      docs: config.docsAccess === 'off' ? null : `${base}/docs`,
      database: config.databaseUrl ? 'postgresql' : `embedded (${config.dataDir})`,
    },
    'Bootstrap',
  );
  logger.log(accessStartupNote(config, process.env), 'Bootstrap');

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal} received: draining requests and closing`, 'Bootstrap');
    tessera.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error(error instanceof Error ? error : String(error), 'Bootstrap');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

bootstrap().catch((error: unknown) => {
  process.stderr.write(`Tessera failed to start: ${describeError(error)}\n`);
  process.exit(1);
});
