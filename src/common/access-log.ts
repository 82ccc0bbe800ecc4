import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';

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
 * the rest off. A request whose client went away first (how every event stream ends) is
 * `request aborted`, at info: it is not a failure of the server.
 *
 * Written with the process's pino logger directly rather than through pino-http, which built a
 * child logger and three listeners per request for the same line: on the cheapest routes the
 * line cost as much as the route (docs/benchmarks.md). The line's keys are fixed and its values
 * are never secrets (the path has no query), so it skips the redaction pass.
 */
export function accessLogMiddleware(logger: Logger, skipPaths: readonly string[]): RequestHandler {
  const skip = new Set(skipPaths);
  const access = logger.child({}, { redact: [] });
  return (req: Request, res: Response, next) => {
    if (skip.has(pathOf(req))) {
      next();
      return;
    }
    const started = performance.now();
    // 'close' follows 'finish', and comes alone when the client went away first.
    res.once('close', () => {
      const line = accessLine(req, res, Math.round(performance.now() - started));
      if (res.statusCode >= 500) access.error(line, 'request failed');
      else access.info(line, res.writableFinished ? 'request completed' : 'request aborted');
    });
    next();
  };
}
