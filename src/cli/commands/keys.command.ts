import { Command, CommandRunner } from 'nest-commander';
import { addKeyToDirectory, keyDirectory } from '../../auth/tokens/signing-keys';
import { AppConfig } from '../../config/app-config';
import { CliError, writeOut } from '../cli-output';

@Command({
  name: 'keys:rotate',
  description:
    'Add a new signing key to DATA_DIR/keys: it signs after the next restart, older keys keep verifying',
})
export class KeysRotateCommand extends CommandRunner {
  constructor(private readonly config: AppConfig) {
    super();
  }

  /** Needs no database, so it also works while a server holds the embedded one. */
  async run(): Promise<void> {
    const { privateKeyPem, privateKeyFile, algorithm } = this.config.jwt;
    if (privateKeyPem || privateKeyFile) {
      throw new CliError(
        `the signing key comes from ${privateKeyPem ? 'JWT_PRIVATE_KEY' : 'JWT_PRIVATE_KEY_FILE'}, ` +
          'not from DATA_DIR; rotate it by replacing that key (keys:rotate only manages generated keys)',
      );
    }
    const dir = keyDirectory(this.config.dataDir);
    const key = addKeyToDirectory(dir, algorithm);
    await writeOut(
      `new ${key.alg} signing key ${key.kid} written to ${dir}; ` +
        'servers sign with it after their next restart, and the previous keys keep verifying\n',
    );
  }
}
