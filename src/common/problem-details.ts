import type { Response } from 'express';
import type { FieldError } from './app.exception';
import { ERROR_STATUS, ERROR_TITLES, type ErrorCode } from './error-codes';
import { currentRequestId } from './request-context';

export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  errors?: FieldError[];
  requestId?: string;
  /** RFC 6749 members, on the OAuth endpoints only. */
  error?: string;
  error_description?: string;
  /** Extension members of one problem type (RFC 9457 §3.2), e.g. mfa_required's mfaToken. */
  [member: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export function problemFor(
  code: ErrorCode,
  detail?: string,
  errors?: FieldError[],
): ProblemDetails {
  return {
    type: `urn:tessera:problem:${code}`,
    title: ERROR_TITLES[code],
    status: ERROR_STATUS[code],
    detail: detail ?? ERROR_TITLES[code],
    code,
    ...(errors ? { errors } : {}),
    requestId: currentRequestId(),
  };
}

export function sendProblem(
  res: Response,
  problem: ProblemDetails,
  headers: Record<string, string> = {},
  contentType: string = PROBLEM_CONTENT_TYPE,
): void {
  if (res.headersSent) return;
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.status(problem.status).type(contentType).send(JSON.stringify(problem));
}
