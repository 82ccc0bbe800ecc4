import { type DynamicModule, Injectable, Module } from '@nestjs/common';
import { AlertRecipients } from './alerting/channels/alert-recipients';
import { UsersService } from './users/users.service';

/** Alerting's AlertRecipients port, answered by the users module (alerting may not import it). */
@Injectable()
class UserAlertRecipients extends AlertRecipients {
  constructor(private readonly users: UsersService) {
    super();
  }

  async emailOf(userId: string): Promise<string | undefined> {
    return (await this.users.findById(userId))?.email;
  }
}

@Module({})
export class AlertRecipientsModule {
  /** `users`: the application's one UsersModule instance. */
  static forRoot(users: DynamicModule): DynamicModule {
    return {
      module: AlertRecipientsModule,
      imports: [users],
      providers: [{ provide: AlertRecipients, useClass: UserAlertRecipients }],
      exports: [AlertRecipients],
    };
  }
}
