/**
 * The ceiling for Tessera's cheapest routes: a minimal Nest app on the same Express platform
 * with one @Get route and nothing else (no guards, pipes, middleware or database). Started by
 * the targets bench as its own process, pinned to the server core like Tessera.
 *
 *   HOST=127.0.0.1 PORT=3999 node dist/bench/bare-nest.server.js
 */
import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';

@Controller()
class PingController {
  /** The same body as Tessera's GET /health/live. */
  @Get('ping')
  ping(): { status: 'ok' } {
    return { status: 'ok' };
  }
}

@Module({ controllers: [PingController] })
class BareModule {}

async function main(): Promise<void> {
  const app = await NestFactory.create<NestExpressApplication>(BareModule, { logger: false });
  // Read here, not via app-config: this process is not Tessera and has no config of its own.
  const port = Number(process.env.PORT ?? 3999);
  await app.listen(port, process.env.HOST ?? '127.0.0.1');
  const close = (): void => {
    void app.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', close);
  process.on('SIGINT', close);
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
