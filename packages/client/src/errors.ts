/** An RFC 9457 problem from Tessera, with its stable machine-readable `code`. */
export interface Problem {
  type?: string;
  title?: string;
  status: number;
  detail?: string;
  code: string;
  [extension: string]: unknown;
}

/** Thrown by every client call that Tessera answered with an error (or that never reached it). */
export class TesseraError extends Error {
  readonly status: number;
  readonly code: string;
  readonly problem: Problem;

  constructor(problem: Problem) {
    super(problem.detail ?? problem.title ?? problem.code);
    this.name = 'TesseraError';
    this.status = problem.status;
    this.code = problem.code;
    this.problem = problem;
  }
}

function isProblem(body: unknown): body is Problem {
  return (
    typeof body === 'object' &&
    body !== null &&
    typeof (body as { code?: unknown }).code === 'string' &&
    typeof (body as { status?: unknown }).status === 'number'
  );
}

/** Reads a failed response as a problem; a body that is not one still yields a usable code. */
export async function problemOf(response: Response): Promise<Problem> {
  let body: unknown;
  try {
    body = await response.clone().json();
  } catch {
    body = undefined;
  }
  if (isProblem(body)) return body;
  return { status: response.status, code: `http_${response.status}`, title: response.statusText };
}

/** The codes after which the session is gone for good: the client signs out. */
export const SIGNED_OUT_CODES: ReadonlySet<string> = new Set([
  'refresh_token_reused',
  'refresh_token_invalid',
  'session_revoked',
  'session_expired',
]);
