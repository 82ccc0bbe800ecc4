import { VerifierError } from './errors';
import { PROBLEM_CONTENT_TYPE, refusalHeaders, verifyAuthorization } from './http-answer';
import type { TesseraClaims, Verifier } from './verifier';

/** The parts of Express's request, response and next the middleware uses (no express import). */
export interface TesseraRequest {
  headers: Record<string, string | string[] | undefined>;
  tessera?: TesseraClaims;
}

export interface TesseraResponse {
  status(code: number): TesseraResponse;
  setHeader(name: string, value: string): unknown;
  end(body?: string): unknown;
}

export type NextFunction = (error?: unknown) => void;

/**
 * Express middleware: a valid `Authorization: Bearer` token puts its claims on `req.tessera`
 * and continues; otherwise it answers 401 (503 while the revocation feed is stale) with
 * problem+json carrying a stable `code`.
 */
export function tesseraAuth(
  verifier: Verifier,
): (req: TesseraRequest, res: TesseraResponse, next: NextFunction) => void {
  return (req, res, next) => {
    verifyAuthorization(verifier, req.headers.authorization).then(
      (claims) => {
        req.tessera = claims;
        next();
      },
      (error: unknown) => {
        if (!(error instanceof VerifierError)) return next(error);
        for (const [name, value] of Object.entries(refusalHeaders(error))) {
          res.setHeader(name, value);
        }
        res.setHeader('Content-Type', PROBLEM_CONTENT_TYPE);
        res.status(error.status).end(JSON.stringify(error.toProblem()));
      },
    );
  };
}
