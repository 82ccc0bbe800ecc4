import { Command, CommandRunner } from 'nest-commander';
import { AdminUsersService } from '../../admin/admin-users.service';
import { CLI_ACTOR_ID, writeOut } from '../cli-output';
import { CliRuntime } from '../cli-runtime.service';
import { userByEmail } from './user-lookup';

@Command({
  name: 'mfa:reset',
  arguments: '<email>',
  argsDescription: { email: 'login email of the user' },
  description: "Remove all of a user's second factors (TOTP, passkeys, recovery codes)",
})
export class MfaResetCommand extends CommandRunner {
  constructor(private readonly runtime: CliRuntime) {
    super();
  }

  async run([email]: string[]): Promise<void> {
    const message = await this.runtime.withApp(async (app) => {
      const user = await userByEmail(app, email);
      await app.get(AdminUsersService).resetMfa(user.id, CLI_ACTOR_ID);
      return `reset the second factors of ${user.email} (${user.id})`;
    });
    await writeOut(`${message}\n`);
  }
}
