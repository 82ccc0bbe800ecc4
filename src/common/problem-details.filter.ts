import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  Injectable,
  Logger,
  Optional,
} from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { AppException } from './app.exception';
import { isDatabaseUnavailable } from './database-errors';
import type { ErrorCode } from './error-codes';
import { problemFor, sendProblem, type ProblemDetails } from './problem-details';
import { describeError } from './describe-error';
import { SecurityDenials } from './security-denials';

const CODE_BY_STATUS: Record<number, ErrorCode> = {
  400: 'validation_failed',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not_found',
  413: 'payload_too_large',
  429: 'rate_limited',
  503: 'service_unavailable',
};

interface Mapped {
  problem: ProblemDetails;
  headers: Record<string, string>;
}

const logger = new Logger('Errors');

/** Maps anything thrown to RFC 9457 problem+json; internals never reach the client. */
export function toProblem(error: unknown): Mapped {
  if (error instanceof AppException) {
    const headers = { ...error.extras.headers };
    if (error.extras.retryAfterSeconds !== undefined) {
      headers['Retry-After'] = String(Math.max(1, Math.ceil(error.extras.retryAfterSeconds)));
    }
    const problem = {
      ...error.extras.members,
      ...problemFor(error.code, error.detail, error.extras.errors),
    };
    if (error.extras.rfc6749Error) {
      // OAuth clients read `error`; RFC 6749 §5.2 answers grant errors with 400.
      return {
        problem: {
          ...problem,
          status: 400,
          error: error.extras.rfc6749Error,
          error_description: problem.detail,
        },
        headers,
      };
    }
    return { problem, headers };
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const code = CODE_BY_STATUS[status];
    if (code) return { problem: problemFor(code), headers: {} };
  }
  const bodyError = bodyParserProblem(error);
  if (bodyError) return { problem: bodyError, headers: {} };
  if (isDatabaseUnavailable(error)) {
    logger.warn(`database unavailable: ${describeError(error)}`);
    return { problem: problemFor('service_unavailable'), headers: { 'Retry-After': '5' } };
  }
  logger.error(error instanceof Error ? error : String(error));
  return { problem: problemFor('internal_error', 'An unexpected error occurred'), headers: {} };
}

/** Errors raised by Express's body parsers carry a `type`; map the ones a client can cause. */
function bodyParserProblem(error: unknown): ProblemDetails | undefined {
  if (typeof error !== 'object' || error === null || !('type' in error)) return undefined;
  switch (error.type) {
    case 'entity.too.large':
      return problemFor('payload_too_large');
    case 'entity.parse.failed':
      return problemFor('validation_failed', 'The request body is not valid JSON');
    case 'charset.unsupported':
    case 'encoding.unsupported':
    case 'entity.verify.failed':
    case 'request.aborted':
    case 'request.size.invalid':
      return problemFor('validation_failed', 'The request body could not be read');
    default:
      return undefined;
  }
}

/**
 * An OAuth error (it has `error`) for a client that asks for plain JSON and not problem+json:
 * RFC 6749 §5.2 answers application/json, and OAuth libraries (oauth4webapi) insist on it.
 * The body is the same problem document either way.
 */
function oauthContentType(problem: object, req: Request): string | undefined {
  if (!('error' in problem)) return undefined;
  const accept = req.header('accept') ?? '';
  return accept.includes('application/json') && !accept.includes('problem+json')
    ? 'application/json'
    : undefined;
}

@Catch()
@Injectable()
export class ProblemDetailsFilter implements ExceptionFilter {
  constructor(@Optional() private readonly denials?: SecurityDenials) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    this.respond(exception, http.getRequest<Request>(), http.getResponse<Response>());
  }

  /** The answer itself, also for handlers outside Nest's pipeline (ForwardAuthService). */
  respond(exception: unknown, req: Request, res: Response): void {
    const { problem, headers } = toProblem(exception);
    // Refusals (403, invalid tokens, 429) are audited in per-minute aggregates.
    this.denials?.note(problem.code, req.ip);
    sendProblem(res, problem, headers, oauthContentType(problem, req));
  }
}

/** Express error middleware for failures before Nest's pipeline (body parsing). */
export function expressProblemHandler(
  error: unknown,
  _req: Request,
  res: Response,
  next: NextFunction,
): void {
  if (res.headersSent) return next(error);
  const { problem, headers } = toProblem(error);
  sendProblem(res, problem, headers);
}
