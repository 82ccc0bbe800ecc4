import type { NextFunction, Request, RequestHandler, Response } from 'express';

/**
 * Runs Express middleware in order as one router layer. The router steps through every
 * `app.use()` layer per request (path match, prefix trim, a closure per step); on the cheapest
 * routes the global middleware as separate layers cost more than the route itself
 * (docs/benchmarks.md). An error, thrown or passed to `next`, leaves the chain for the
 * application's error handlers, as it would between layers.
 */
export function middlewareChain(handlers: readonly RequestHandler[]): RequestHandler {
  return (req: Request, res: Response, done: NextFunction): void => {
    let index = 0;
    const next = (error?: unknown): void => {
      if (error !== undefined && error !== null) return done(error);
      const handler = handlers[index];
      index += 1;
      if (!handler) return done();
      try {
        void handler(req, res, next);
      } catch (thrown) {
        done(thrown);
      }
    };
    next();
  };
}
