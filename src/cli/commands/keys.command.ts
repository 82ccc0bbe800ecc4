import { Command, CommandRunner } from 'nest-commander';
import { KeyRotationService } from '../../auth/tokens/key-rotation.service';
import { AppConfig } from '../../config/app-config';
import { CLI_ACTOR_ID, CliError, writeOut } from '../cli-output';
import { CliRuntime } from '../cli-runtime.service';

@Command({
  name: 'keys:rotate',
  description:
    'Rotate the generated signing key: published at once, it signs after JWT_KEY_ACTIVATION_DELAY ' +
    'on every running instance; the previous key verifies until its last token has expired',
})
export class KeysRotateCommand extends CommandRunner {
  constructor(
    private readonly config: AppConfig,
    private readonly runtime: CliRuntime,
  ) {
    super();
  }

  async run(): Promise<void> {
    const { privateKeyPem, privateKeyFile } = this.config.jwt;
    // Checked before opening the database: the answer does not depend on it.
    if (privateKeyPem || privateKeyFile) {
      throw new CliError(
        `the signing key comes from ${privateKeyPem ? 'JWT_PRIVATE_KEY' : 'JWT_PRIVATE_KEY_FILE'}, ` +
          'not a generated key: rotate it by replacing that key (keys:rotate only manages generated keys)',
      );
    }
    const { key, retired } = await this.runtime.withApp((app) =>
      app.get(KeyRotationService).rotate(CLI_ACTOR_ID),
    );
    const replaced = retired.map((old) => `${old.kid} verifies until ${old.retireAfter}`);
    await writeOut(
      `new ${key.alg} signing key ${key.kid} published; it signs from ${key.signFrom}` +
        (replaced.length > 0 ? `; ${replaced.join('; ')}` : '') +
        '\n',
    );
  }
}
