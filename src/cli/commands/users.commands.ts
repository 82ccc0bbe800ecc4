import { Command, CommandRunner } from 'nest-commander';
import { AdminUsersService } from '../../admin/admin-users.service';
import { CLI_ACTOR_ID, writeOut } from '../cli-output';
import { CliRuntime } from '../cli-runtime.service';
import { userByEmail } from './user-lookup';

/** Clears an administrator's lock and every failed-login delay of the account. */
@Command({
  name: 'users:unlock',
  arguments: '<email>',
  argsDescription: { email: 'login email of the user' },
  description: 'Unlock a user: clears the admin lock and every failed-login delay (audited)',
})
export class UsersUnlockCommand extends CommandRunner {
  constructor(private readonly runtime: CliRuntime) {
    super();
  }

  async run([email]: string[]): Promise<void> {
    const message = await this.runtime.withApp(async (app) => {
      const user = await userByEmail(app, email);
      await app.get(AdminUsersService).update(user.id, { locked: false }, CLI_ACTOR_ID);
      return `unlocked ${user.email} (${user.id}); failed-login delays cleared`;
    });
    await writeOut(`${message}\n`);
  }
}
