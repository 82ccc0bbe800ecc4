import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { Request } from 'express';
import { Strategy } from 'passport-local';
import { requestMeta } from '../../common/auth-context';
import type { UserEntity } from '../../users/user.entity';
import { AppConfig } from '../../config/app-config';
import { AuthService } from '../auth.service';
import { AuthCookies } from '../browser/auth-cookies';

/** passport-local: email + password from the JSON body, checked by AuthService. */
@Injectable()
export class LocalStrategy extends PassportStrategy(Strategy) {
  private readonly cookies: AuthCookies;

  constructor(
    private readonly auth: AuthService,
    config: AppConfig,
  ) {
    super({
      usernameField: 'email',
      passwordField: 'password',
      passReqToCallback: true,
      session: false,
    });
    this.cookies = new AuthCookies(config);
  }

  /** The device id the client claims (app device id, else the browser's device cookie). */
  validate(req: Request, email: string, password: string): Promise<UserEntity> {
    const body = req.body as { device?: { id?: unknown } } | undefined;
    const appDeviceId = typeof body?.device?.id === 'string' ? body.device.id : undefined;
    return this.auth.validateCredentials(
      email,
      password,
      requestMeta(req),
      appDeviceId ?? this.cookies.device(req),
    );
  }
}
