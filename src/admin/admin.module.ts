import { Module } from '@nestjs/common';
import { AdminSessionsController } from './admin-sessions.controller';
import { AdminUsersController } from './admin-users.controller';
import { AdminUsersService } from './admin-users.service';

/**
 * Admin-only HTTP routes over the other modules' exported services. Controllers only: the
 * services they call (users, sessions, session search, devices, transactions) come from global
 * modules, so nothing here can reach another module's tables directly.
 */
@Module({
  controllers: [AdminUsersController, AdminSessionsController],
  providers: [AdminUsersService],
  exports: [AdminUsersService],
})
export class AdminModule {}
