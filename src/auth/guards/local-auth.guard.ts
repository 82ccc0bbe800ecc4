import { type ExecutionContext, Injectable } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import type { Request } from 'express';
import { AppException } from '../../common/app.exception';
import { LoginDto } from '../dto/login.dto';

/**
 * Runs passport-local, after validating the body: guards run before pipes, and a malformed login
 * must get its 400 before any credential is checked (or counted as a failure).
 */
@Injectable()
export class LocalAuthGuard extends AuthGuard('local') {
  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<Request>();
    const dto = plainToInstance(LoginDto, request.body ?? {});
    const errors = await validate(dto, {
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
    });
    if (errors.length > 0) {
      throw new AppException('validation_failed', 'The request is not valid', {
        errors: errors.map((error) => ({
          field: error.property,
          messages: Object.values(error.constraints ?? { invalid: 'is invalid' }),
        })),
      });
    }
    return (await super.canActivate(context)) as boolean;
  }

  override handleRequest<TUser>(error: unknown, user: TUser | false): TUser {
    // passport hands back whatever the strategy threw: our AppExceptions pass through.
    if (error instanceof Error) throw error;
    if (error) throw new Error('login failed', { cause: error });
    if (!user) throw new AppException('invalid_credentials', 'The email or password is incorrect');
    return user;
  }
}
