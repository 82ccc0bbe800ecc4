import { BadRequestException, NotFoundException } from '@nestjs/common';
import { AppException } from './app.exception';
import { toProblem } from './problem-details.filter';

describe('toProblem', () => {
  const sut = toProblem;

  it('maps a domain exception to its contract code, status and detail', () => {
    const { problem, headers } = sut(new AppException('not_found', 'Device not found'));
    expect(problem).toMatchObject({
      type: 'urn:tessera:problem:not_found',
      status: 404,
      code: 'not_found',
      detail: 'Device not found',
    });
    expect(headers).toEqual({});
  });

  it('turns retryAfterSeconds into a whole-second Retry-After of at least 1', () => {
    const locked = sut(new AppException('account_locked', 'Locked', { retryAfterSeconds: 0.2 }));
    expect(locked.problem.status).toBe(423);
    expect(locked.headers['Retry-After']).toBe('1');
    expect(
      sut(new AppException('account_locked', 'x', { retryAfterSeconds: 61.5 })).headers,
    ).toEqual({ 'Retry-After': '62' });
  });

  it('answers OAuth grant errors with 400 and the RFC 6749 members', () => {
    const { problem } = sut(
      new AppException('refresh_token_invalid', 'Bad token', { rfc6749Error: 'invalid_grant' }),
    );
    expect(problem).toMatchObject({
      status: 400,
      error: 'invalid_grant',
      error_description: 'Bad token',
    });
  });

  it("maps Nest's HTTP exceptions by status, with the contract's own wording", () => {
    expect(sut(new NotFoundException('Cannot GET /nope')).problem).toMatchObject({
      code: 'not_found',
      status: 404,
    });
    expect(sut(new BadRequestException()).problem.code).toBe('validation_failed');
  });

  it('maps body-parser failures a client can cause', () => {
    expect(sut({ type: 'entity.too.large' }).problem.code).toBe('payload_too_large');
    expect(sut({ type: 'entity.parse.failed' }).problem.detail).toBe(
      'The request body is not valid JSON',
    );
  });

  it('answers 503 with Retry-After when the database is unreachable', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), {
      code: 'ECONNREFUSED',
    });
    const { problem, headers } = sut(refused);
    expect(problem.status).toBe(503);
    expect(headers).toEqual({ 'Retry-After': '5' });
  });

  it('hides anything else behind a generic 500', () => {
    const { problem } = sut(new Error('relation "users" does not exist'));
    expect(problem).toMatchObject({ status: 500, code: 'internal_error' });
    expect(problem.detail).not.toContain('users');
  });
});
