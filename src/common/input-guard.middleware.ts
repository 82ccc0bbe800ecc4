import type { NextFunction, Request, Response } from 'express';
import { AppException } from './app.exception';

/** Deeper than any DTO nests; JSON.parse accepts thousands of levels, validators recurse. */
const MAX_DEPTH = 16;
/** Keys that reach object internals in class-transformer and friends ("targetType is not a constructor"). */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
/**
 * NUL (PostgreSQL text cannot hold it: "invalid byte sequence") and unpaired UTF-16 surrogates
 * (validator's isEmail calls encodeURI, which throws on them; they cannot be stored as UTF-8).
 * With the u flag a well-formed surrogate pair is one code point and does not match.
 */
// eslint-disable-next-line no-control-regex -- NUL is exactly what this refuses
const UNSTORABLE = /[\u0000\uD800-\uDFFF]/u;

function problem(field: string, message: string): AppException {
  return new AppException('validation_failed', 'The request is not valid', {
    errors: [{ field, messages: [message] }],
  });
}

/** The first problem in a parsed body or query, or undefined. Iterative: no stack to exhaust. */
export function findUnacceptableInput(root: unknown, rootName: string): AppException | undefined {
  const stack: Array<{ value: unknown; path: string; depth: number }> = [
    { value: root, path: rootName, depth: 0 },
  ];
  while (stack.length > 0) {
    const { value, path, depth } = stack.pop() as { value: unknown; path: string; depth: number };
    if (typeof value === 'string') {
      if (UNSTORABLE.test(value)) {
        return problem(path, 'must not contain NUL or unpaired surrogate characters');
      }
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= MAX_DEPTH) return problem(path, `must not nest deeper than ${MAX_DEPTH} levels`);
    for (const [key, item] of Object.entries(value)) {
      const field = Array.isArray(value) ? `${path}[${key}]` : `${path}.${key}`;
      if (FORBIDDEN_KEYS.has(key)) return problem(field, 'is not an allowed field name');
      if (UNSTORABLE.test(key)) return problem(path, 'field names must be plain text');
      stack.push({ value: item, path: field, depth: depth + 1 });
    }
  }
  return undefined;
}

/**
 * Refuses, with 400 before any guard, pipe or handler sees them, inputs that no route accepts
 * but that would otherwise surface as a 500 deep inside a validator, a transformer or the
 * database driver. Runs after the body parsers.
 */
export function inputGuardMiddleware(req: Request, _res: Response, next: NextFunction): void {
  const error =
    findUnacceptableInput(req.body, 'body') ?? findUnacceptableInput(req.query, 'query');
  next(error);
}
