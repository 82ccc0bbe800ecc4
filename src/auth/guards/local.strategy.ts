import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { Request } from 'express';
import { Strategy } from 'passport-local';
import { requestMeta } from '../../common/auth-context';
import type { UserEntity } from '../../users/user.entity';
import { AuthService } from '../auth.service';

/** passport-local: email + password from the JSON body, checked by AuthService. */
@Injectable()
export class LocalStrategy extends PassportStrategy(Strategy) {
  constructor(private readonly auth: AuthService) {
    super({
      usernameField: 'email',
      passwordField: 'password',
      passReqToCallback: true,
      session: false,
    });
  }

  validate(req: Request, email: string, password: string): Promise<UserEntity> {
    return this.auth.validateCredentials(email, password, requestMeta(req));
  }
}
