import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';

/** Paths can be long when a client misbehaves; a log line keeps the start. */
const MAX_PATH_LENGTH = 256;

/** The path without the query string, which may carry codes, tokens or e-mail addresses. */
export function pathOf(req: IncomingMessage): string {
  const url = (req as Partial<Request>).originalUrl ?? req.url ?? '';
  const query = url.indexOf('?');
  const path = query === -1 ? url : url.slice(0, query);
  return path.length > MAX_PATH_LENGTH ? `${path.slice(0, MAX_PATH_LENGTH)}…` : path;
}

/** The matched route pattern (ids stay out), as the metrics label it. */
function routeOf(req: IncomingMessage): string {
  const { route, baseUrl } = req as { route?: { path?: string }; baseUrl?: string };
  return route?.path ? `${baseUrl ?? ''}${route.path}` : 'unmatched';
}

export interface AccessLine {
  context: 'HTTP';
  requestId: string | undefined;
  method: string | undefined;
  route: string;
  path: string;
  status: number;
  durationMs: number;
  /** The client went away before the response was finished. */
  aborted?: true;
}

function accessLine(req: IncomingMessage, res: ServerResponse, durationMs: number): AccessLine {
  const requestId = res.getHeader('X-Request-Id');
  return {
    context: 'HTTP',
    requestId: typeof requestId === 'string' ? requestId : undefined,
    method: req.method,
    route: routeOf(req),
    path: pathOf(req),
    status: res.statusCode,
    durationMs,
    ...(res.writableFinished ? {} : { aborted: true }),
  };
}

/**
 * One access line per request, written when the response ends: method, route, path (no query),
 * status, duration and request id; never headers or bodies. Runs after the request-context
 * middleware, whose X-Request-Id it reuses. Requests to `skipPaths` write nothing (probes and
 * scrapes would drown the rest). Lines go out at info (error for 5xx), so LOG_LEVEL=warn turns
 * them off.
 */
export function accessLogMiddleware(logger: Logger, skipPaths: readonly string[]): RequestHandler {
  const skip = new Set(skipPaths);
  const handler = pinoHttp({
    logger,
    genReqId: (_req, res) => String(res.getHeader('X-Request-Id') ?? ''),
    // The response logger is the plain one: the line below is the whole record.
    quietResLogger: true,
    wrapSerializers: false,
    // req.log's bindings: enough to place a handler's own lines, cheap to build per request.
    serializers: { req: (req: IncomingMessage) => ({ method: req.method, path: pathOf(req) }) },
    customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : 'info'),
    customSuccessMessage: () => 'request completed',
    customErrorMessage: () => 'request failed',
    customSuccessObject: (req, res, val: { responseTime: number }) =>
      accessLine(req, res, val.responseTime),
    customErrorObject: (req, res, _error, val: { responseTime: number }) =>
      accessLine(req, res, val.responseTime),
  });
  // Skipped paths bypass pino-http entirely: it builds a child logger per request even for the
  // requests it is told to ignore.
  return (req: Request, res: Response, next) => {
    if (skip.has(pathOf(req))) next();
    else handler(req, res, next);
  };
}
