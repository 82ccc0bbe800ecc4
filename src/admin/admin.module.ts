import { type DynamicModule, Module } from '@nestjs/common';
import { AdminSessionsController } from './admin-sessions.controller';
import { AdminUsersController } from './admin-users.controller';
import { AdminUsersService } from './admin-users.service';

/** The application's one instance of each module the admin rules build on. */
export interface AdminModuleDeps {
  users: DynamicModule;
  devices: DynamicModule;
  sessions: DynamicModule;
  /** For LoginProtectionService: unlocking clears failed-login protection. */
  auth: DynamicModule;
  mfa: DynamicModule;
}

/**
 * Admin-only HTTP routes and the admin rules (AdminUsersService, also used by the CLI), over the
 * other modules' exported services: nothing here can reach another module's tables.
 */
@Module({})
export class AdminModule {
  static forRoot(deps: AdminModuleDeps): DynamicModule {
    return {
      module: AdminModule,
      imports: [deps.users, deps.devices, deps.sessions, deps.auth, deps.mfa],
      controllers: [AdminUsersController, AdminSessionsController],
      providers: [AdminUsersService],
      exports: [AdminUsersService],
    };
  }
}
