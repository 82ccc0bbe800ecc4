import type { Request } from 'express';

/**
 * Exactly `path` (no query, no trailing slash) and no body: the requests the global middleware
 * chain's fast paths answer. Any other spelling goes on through the body parsers and the input
 * guard to the Nest route, which answers alike.
 */
export function isPlainRequestFor(req: Request, path: string): boolean {
  return (
    req.url === path &&
    req.headers['content-length'] === undefined &&
    req.headers['transfer-encoding'] === undefined
  );
}
