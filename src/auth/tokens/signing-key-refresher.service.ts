import { Injectable } from '@nestjs/common';
import { BackgroundWorker, type WorkerSchedule } from '../../common/background-worker';
import { SigningKeyStore } from './signing-key-store.service';

/** Backstop for a lost cluster-bus message: no instance stays behind a rotation for long. */
export const SIGNING_KEY_REFRESH_MS = 30_000;

@Injectable()
export class SigningKeyRefresher extends BackgroundWorker {
  constructor(private readonly store: SigningKeyStore) {
    super(SigningKeyRefresher.name);
  }

  protected schedule(): WorkerSchedule {
    return { intervalMs: SIGNING_KEY_REFRESH_MS };
  }

  protected tick(): Promise<void> {
    return this.store.reload();
  }
}
