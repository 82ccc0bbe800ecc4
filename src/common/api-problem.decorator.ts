import { applyDecorators } from '@nestjs/common';
import {
  ApiExtraModels,
  ApiProperty,
  ApiPropertyOptional,
  ApiResponse,
  getSchemaPath,
} from '@nestjs/swagger';
import { ERROR_STATUS, ERROR_TITLES, type ErrorCode } from './error-codes';
import { PROBLEM_CONTENT_TYPE } from './problem-details';

export class ProblemFieldError {
  @ApiProperty({ example: 'email' })
  field!: string;

  @ApiProperty({ type: [String], example: ['must be a valid email address'] })
  messages!: string[];
}

/**
 * The RFC 9457 problem details every error answers with. Declared here (not derived from the
 * ProblemDetails interface) because the OpenAPI generator only reads classes.
 */
export class ProblemDetails {
  @ApiProperty({
    description: 'A URN naming the problem type',
    example: 'urn:tessera:problem:not_found',
  })
  type!: string;

  @ApiProperty({ example: 'Not found' })
  title!: string;

  @ApiProperty({ description: 'The HTTP status code', example: 404 })
  status!: number;

  @ApiProperty({
    description: 'Human-readable explanation of this occurrence',
    example: 'User not found',
  })
  detail!: string;

  @ApiProperty({
    description: 'Stable machine-readable error code (part of the contract)',
    enum: Object.keys(ERROR_STATUS),
    example: 'not_found',
  })
  code!: string;

  @ApiPropertyOptional({
    type: [ProblemFieldError],
    description: 'Each invalid field (validation_failed)',
  })
  errors?: ProblemFieldError[];

  @ApiPropertyOptional({
    description: 'Correlates the response with server logs',
    example: '6f1c…',
  })
  requestId?: string;
}

/** The statuses a route may document with ApiProblemResponses. */
export type ProblemStatus = (typeof ERROR_STATUS)[ErrorCode];

const DESCRIPTIONS: Record<ProblemStatus, string> = {
  400: 'The request is not valid',
  401: 'Not signed in, or the access token or session is no longer valid',
  403: 'Not allowed (a missing role, or a missing CSRF token in cookie mode)',
  404: 'No such resource',
  409: 'Conflicts with the current state',
  413: 'The request body is too large',
  423: 'The account is locked',
  429: 'Too many requests; see Retry-After',
  500: 'Unexpected failure (details are in the server log under the requestId)',
  503: 'A dependency is unavailable; retry later',
};

/**
 * The codes a bare status documents. 401 lists what a protected route can answer (not the
 * login- and refresh-only codes; name those explicitly where they apply).
 */
const DEFAULT_CODES: Partial<Record<ProblemStatus, ErrorCode[]>> = {
  401: ['unauthenticated', 'token_invalid', 'token_expired', 'session_revoked', 'session_expired'],
  // insufficient_scope is a service route's; name it where it applies.
  403: ['csrf_failed', 'forbidden', 'mfa_enrollment_required'],
};

function codesFor(status: ProblemStatus): ErrorCode[] {
  return (
    DEFAULT_CODES[status] ??
    (Object.keys(ERROR_STATUS) as ErrorCode[]).filter((code) => ERROR_STATUS[code] === status)
  );
}

/** Groups the decorator's arguments by status: a status stands for its usual codes. */
function groupByStatus(
  entries: ReadonlyArray<ProblemStatus | ErrorCode>,
): Map<ProblemStatus, ErrorCode[]> {
  const groups = new Map<ProblemStatus, ErrorCode[]>();
  for (const entry of entries) {
    const status = typeof entry === 'number' ? entry : ERROR_STATUS[entry];
    const codes = typeof entry === 'number' ? codesFor(entry) : [entry];
    groups.set(status, [...new Set([...(groups.get(status) ?? []), ...codes])]);
  }
  return groups;
}

function example(code: ErrorCode): Record<string, unknown> {
  return {
    type: `urn:tessera:problem:${code}`,
    title: ERROR_TITLES[code],
    status: ERROR_STATUS[code],
    detail: ERROR_TITLES[code],
    code,
    ...(code === 'validation_failed'
      ? { errors: [{ field: 'limit', messages: ['limit must not be greater than 200'] }] }
      : {}),
    requestId: '2b0e7c56-3b1a-4d8e-9a43-6a1f0f3b7c11',
  };
}

/**
 * Documents error responses as application/problem+json, each status with the contract codes it
 * can carry (one example per code). Give statuses for their usual codes, or codes to be exact:
 * `@ApiProblemResponses(400, 401, 403, 404)`, `@ApiProblemResponses('invalid_credentials', 429)`.
 * Works on controllers and routes.
 */
export function ApiProblemResponses(
  ...entries: Array<ProblemStatus | ErrorCode>
): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiExtraModels(ProblemDetails, ProblemFieldError),
    ...[...groupByStatus(entries)].map(([status, codes]) =>
      ApiResponse({
        status,
        description: `${DESCRIPTIONS[status]} (code ${codes.join(' | ')})`,
        content: {
          [PROBLEM_CONTENT_TYPE]: {
            schema: {
              allOf: [
                { $ref: getSchemaPath(ProblemDetails) },
                {
                  type: 'object',
                  properties: { status: { enum: [status] }, code: { enum: codes } },
                },
              ],
            },
            examples: Object.fromEntries(
              codes.map((code) => [code, { summary: code, value: example(code) }]),
            ),
          },
        },
      }),
    ),
  );
}
