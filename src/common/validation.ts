import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { ValidateBy, type ValidationOptions } from 'class-validator';
import { AppException, type FieldError } from './app.exception';

function flatten(errors: ValidationError[], prefix = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    const own = error.constraints ? [{ field, messages: Object.values(error.constraints) }] : [];
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

/**
 * Whitelisting with forbidNonWhitelisted refuses unknown fields (mass assignment such as
 * `roles` in a register body, `__proto__` keys) instead of silently dropping them.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) =>
      new AppException('validation_failed', 'The request is not valid', {
        errors: flatten(errors),
      }),
  });
}

/**
 * The length after NFKC (what lookups and rate-limit keys store: "ﷺ" becomes 18 characters),
 * which a plain MaxLength on the raw input cannot see; without it an email under 254 characters
 * could overflow a 254-character column and answer 500.
 */
export function MaxLengthAfterNfkc(max: number, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'maxLengthAfterNfkc',
      validator: {
        validate: (value: unknown) =>
          typeof value === 'string' && Array.from(value.normalize('NFKC').trim()).length <= max,
        defaultMessage: () => `must be at most ${max} characters after Unicode normalisation`,
      },
    },
    options,
  );
}
