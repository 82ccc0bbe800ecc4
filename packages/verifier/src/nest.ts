import {
  type CanActivate,
  type ExecutionContext,
  HttpException,
  Inject,
  Injectable,
} from '@nestjs/common';
import { VerifierError } from './errors';
import { PROBLEM_CONTENT_TYPE, refusalHeaders, verifyAuthorization } from './http-answer';
import type { TesseraClaims, Verifier } from './verifier';

/** The injection token under which TesseraAuthGuard finds the application's Verifier. */
export const TESSERA_VERIFIER = Symbol('TESSERA_VERIFIER');

interface GuardedRequest {
  headers: Record<string, string | string[] | undefined>;
  tessera?: TesseraClaims;
}

interface HeaderSink {
  setHeader?(name: string, value: string): unknown;
  header?(name: string, value: string): unknown;
}

/**
 * Lets a request through with a valid Tessera access token (`Authorization: Bearer`) and puts
 * its claims on `request.tessera`. A refusal is a 401 (503 while the revocation feed is stale)
 * whose body is problem details with a stable `code`.
 */
@Injectable()
export class TesseraAuthGuard implements CanActivate {
  constructor(@Inject(TESSERA_VERIFIER) private readonly verifier: Verifier) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const request = http.getRequest<GuardedRequest>();
    try {
      request.tessera = await verifyAuthorization(this.verifier, request.headers.authorization);
      return true;
    } catch (error) {
      if (!(error instanceof VerifierError)) throw error;
      const response = http.getResponse<HeaderSink>();
      // Nest's exception filter serialises the body with the adapter's json(), which keeps a
      // Content-Type already set: the refusal goes out as problem details, as documented.
      const headers = { ...refusalHeaders(error), 'Content-Type': PROBLEM_CONTENT_TYPE };
      for (const [name, value] of Object.entries(headers)) {
        if (response.setHeader) response.setHeader(name, value);
        else response.header?.(name, value);
      }
      throw new HttpException(error.toProblem(), error.status, { cause: error });
    }
  }
}
