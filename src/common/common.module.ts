import { DynamicModule, Global, Module } from '@nestjs/common';
import { Clock } from './clock';

/** Cross-cutting providers every module may inject: the clock. */
@Global()
@Module({})
export class CommonModule {
  static forRoot(clock: Clock): DynamicModule {
    return {
      module: CommonModule,
      providers: [{ provide: Clock, useValue: clock }],
      exports: [Clock],
    };
  }
}
