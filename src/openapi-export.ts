import { writeFileSync } from 'node:fs';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';
import { SystemClock } from './common/clock';
import { loadConfig } from './config/app-config';
import { buildOpenApiDocument } from './openapi';

/**
 * Writes the OpenAPI document without a server or a database: Nest's preview mode resolves the
 * module graph (routes, DTO metadata from the Swagger CLI plugin) but instantiates no provider,
 * so nothing connects anywhere. Run from dist (`node dist/src/openapi-export.js <file>`), because
 * the DTO schemas come from the compile-time plugin of `nest build`.
 */
async function exportDocument(target: string): Promise<void> {
  const config = loadConfig({ LOG_LEVEL: 'error' });
  const app = await NestFactory.create(
    AppModule.forRoot({ config, dataSource: { type: 'postgres' }, clock: new SystemClock() }),
    { preview: true, logger: false, abortOnError: false },
  );
  const document = buildOpenApiDocument(app);
  writeFileSync(target, `${JSON.stringify(document, null, 2)}\n`);
  await app.close();
}

const target = process.argv[2];
if (!target) {
  process.stderr.write('usage: node dist/src/openapi-export.js <output.json>\n');
  process.exit(64);
}
exportDocument(target).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
