import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { json, type RequestHandler, urlencoded } from 'express';
import { AppModule } from './app.module';
import { docsAdminOnly } from './auth/guards/docs-access.middleware';
import { CurrentUserService } from './auth/current-user.service';
import { ForwardAuthService } from './auth/gateway/forward-auth.service';
import type { AlertingModuleOptions } from './alerting/alerting.module';
import type { AuthModuleOptions } from './auth/auth.module';
import type { SessionsModuleOptions } from './sessions/sessions.module';
import { accessLogMiddleware } from './common/access-log';
import { Clock, SystemClock } from './common/clock';
import { InFlightRequests } from './common/in-flight-requests';
import { JsonLogger } from './common/json-logger';
import { expressProblemHandler } from './common/problem-details.filter';
import { requestContextMiddleware } from './common/request-context';
import { securityHeaders } from './common/security-headers';
import { inputGuardMiddleware } from './common/input-guard.middleware';
import { middlewareChain } from './common/middleware-chain';
import { createValidationPipe } from './common/validation';
import type { AppConfig } from './config/app-config';
import { buildDataSourceOptions } from './database/data-source-options';
import { EmbeddedPostgres } from './database/embedded-postgres';
import { metricsMiddleware } from './metrics/metrics.middleware';
import { MetricsService } from './metrics/metrics.service';
import { setupOpenApi } from './openapi';

/** How long a graceful stop waits for requests in flight. */
const DRAIN_TIMEOUT_MS = 10_000;

export interface CreateAppOptions {
  clock?: Clock;
  auth?: AuthModuleOptions;
  sessions?: SessionsModuleOptions;
  alerting?: AlertingModuleOptions;
  logger?: JsonLogger;
  /** Embedded in-memory database started from this snapshot (tests). */
  embeddedSnapshot?: Blob;
}

export interface TesseraApp {
  app: NestExpressApplication;
  /** Stops accepting, lets in-flight requests finish, closes the database. */
  close(): Promise<void>;
}

async function openEmbedded(
  config: AppConfig,
  options: CreateAppOptions,
): Promise<EmbeddedPostgres | undefined> {
  if (config.databaseUrl) return undefined;
  return EmbeddedPostgres.open(
    config.embeddedInMemory
      ? { kind: 'memory', snapshot: options.embeddedSnapshot }
      : { kind: 'directory', dataDir: config.dataDir },
  );
}

/** Builds the whole application; shared by main.ts, the tests and the benchmarks. */
export async function createApp(
  config: AppConfig,
  options: CreateAppOptions = {},
): Promise<TesseraApp> {
  const embedded = await openEmbedded(config, options);
  const logger = options.logger ?? new JsonLogger(config.logLevel);
  try {
    const dataSource = buildDataSourceOptions({
      poolSize: config.databasePoolSize,
      url: config.databaseUrl,
      embedded,
      migrationsRun: config.migrationsRun,
    });
    const app = await NestFactory.create<NestExpressApplication>(
      AppModule.forRoot({
        config,
        dataSource,
        clock: options.clock ?? new SystemClock(),
        auth: options.auth,
        sessions: options.sessions,
        alerting: options.alerting,
      }),
      { logger, bodyParser: false, forceCloseConnections: false },
    );
    const inFlight = new InFlightRequests();
    configureHttp(app, config, logger, inFlight);
    await app.init();
    return {
      app,
      close: async () => {
        // Stop accepting, let requests in flight finish, then stop workers and the database.
        const server: Server = app.getHttpServer();
        if (server.listening) server.close();
        server.closeIdleConnections();
        await inFlight.drained(DRAIN_TIMEOUT_MS);
        await app.close();
        await embedded?.close();
      },
    };
  } catch (error) {
    await embedded?.close();
    throw error;
  }
}

/**
 * The account security page (workspace package packages/account) at /account, when it has been
 * built (`npm run build`). Found beside the sources (src/, tests) or the compiled output
 * (dist/src/, the image). Static files only: the page signs in through the API like any client.
 */
function serveAccountPage(app: NestExpressApplication): void {
  const pageDir = [join(__dirname, '..'), join(__dirname, '..', '..')]
    .map((root) => join(root, 'packages', 'account', 'dist'))
    .find((dir) => existsSync(join(dir, 'index.html')));
  if (!pageDir) return;
  app.useStaticAssets(pageDir, { prefix: '/account', index: 'index.html', redirect: true });
  app.use('/account', accountPageFallback(join(pageDir, 'index.html')));
}

/**
 * The page's own views (/account/reset from the reset email, /account/security from alerts) are
 * routes of the page, not files: a GET or HEAD for a path that names no file gets index.html.
 * A path that looks like a file (an extension, or under assets/) stays a 404, so a missing script
 * never comes back as HTML.
 */
function accountPageFallback(indexFile: string): RequestHandler {
  return (req, res, next) => {
    const looksLikeFile = req.path.startsWith('/assets/') || /\.[^/]*$/.test(req.path);
    if ((req.method !== 'GET' && req.method !== 'HEAD') || looksLikeFile) return next();
    res.sendFile(indexFile, (error) => error && next(error));
  };
}

/** JSON.parse keeps "__proto__" as an own key; refuse it outright (prototype pollution). */
function refuseProtoKeys(key: string, value: unknown): unknown {
  if (key === '__proto__') throw new SyntaxError('forbidden key');
  return value;
}

function enableCors(app: NestExpressApplication, config: AppConfig): void {
  if (config.corsOrigins.length === 0) return;
  app.enableCors({
    origin: [...config.corsOrigins],
    credentials: true,
    allowedHeaders: [
      'Content-Type',
      'Authorization',
      'X-CSRF-Token',
      'X-Auth-Mode',
      'X-Request-Id',
    ],
    exposedHeaders: ['X-Request-Id', 'Retry-After', 'WWW-Authenticate'],
    maxAge: config.corsMaxAgeSeconds,
  });
}

function configureHttp(
  app: NestExpressApplication,
  config: AppConfig,
  logger: JsonLogger,
  inFlight: InFlightRequests,
): void {
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  // Weak ETags let a cache revalidate (and a client fingerprint) personal responses.
  app.set('etag', false);
  // The global middleware as one router layer (two with CORS), in this order: see middlewareChain.
  const beforeCors: RequestHandler[] = [
    inFlight.middleware,
    requestContextMiddleware,
    accessLogMiddleware(logger.pino, config.accessLogSkipPaths),
  ];
  const afterCors: RequestHandler[] = [
    metricsMiddleware(app.get(MetricsService)),
    securityHeaders(),
    // A gateway's GET /auth/verify, answered here without body parsing or Nest's router, guards
    // and pipes (the same check as the route's).
    app.get(ForwardAuthService).fastPath,
    // A signed-in GET /auth/me likewise (refusals go on to the Nest route).
    app.get(CurrentUserService).fastPath,
    // No cookie parser: AuthCookies parses the Cookie header when a cookie is first read.
    json({ limit: config.bodyLimitBytes, strict: true, reviver: refuseProtoKeys }),
    urlencoded({ limit: config.bodyLimitBytes, extended: false }),
    inputGuardMiddleware,
  ];
  if (config.corsOrigins.length === 0) {
    app.use(middlewareChain([...beforeCors, ...afterCors]));
  } else {
    app.use(middlewareChain(beforeCors));
    // Before the body parsers and the input guard: their 400 and 413 answers must carry the CORS
    // headers too, or a browser hides the problem from the frontend (contract v2).
    enableCors(app, config);
    app.use(middlewareChain(afterCors));
  }
  // Static files only; the chain above gave them their headers (and parsed no body for a GET).
  serveAccountPage(app);
  app.use(expressProblemHandler);
  app.useGlobalPipes(createValidationPipe());
  if (config.docsAccess === 'admin') app.use('/docs', docsAdminOnly(app));
  setupOpenApi(app, config);
}
