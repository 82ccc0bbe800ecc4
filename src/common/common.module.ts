import { DynamicModule, Global, Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { Clock } from './clock';
import { SecretBox } from './secret-box';
import { SecurityDenials } from './security-denials';

/** Cross-cutting providers every module may inject: the clock, the secret box, denial counts. */
@Global()
@Module({})
export class CommonModule {
  static forRoot(clock: Clock): DynamicModule {
    return {
      module: CommonModule,
      providers: [
        { provide: Clock, useValue: clock },
        SecurityDenials,
        {
          provide: SecretBox,
          useFactory: (config: AppConfig) => SecretBox.fromConfig(config),
          inject: [AppConfig],
        },
      ],
      exports: [Clock, SecretBox, SecurityDenials],
    };
  }
}
