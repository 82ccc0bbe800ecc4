import type { INestApplicationContext } from '@nestjs/common';
import type { UserEntity } from '../../users/user.entity';
import { UsersService } from '../../users/users.service';
import { CliError } from '../cli-output';

/** The user with this email (case-insensitive), or a CliError naming it. */
export async function userByEmail(
  app: INestApplicationContext,
  email: string,
): Promise<UserEntity> {
  const user = await app.get(UsersService).findByEmail(email);
  if (!user) throw new CliError(`no user with email ${email}`);
  return user;
}
