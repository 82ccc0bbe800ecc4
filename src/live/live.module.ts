import { type DynamicModule, Module, type Type } from '@nestjs/common';
import { LiveHub } from './live-hub.service';
import { LiveStreamService } from './live-stream.service';
import { LiveController } from './live.controller';

export interface LiveModuleDeps {
  /** A module exporting EndedSessions (the sessions module). */
  endedSessions: Type | DynamicModule;
}

/** Cross-device live sync: GET /sessions/events over the cluster bus. */
@Module({})
export class LiveModule {
  static forRoot(deps: LiveModuleDeps): DynamicModule {
    return {
      module: LiveModule,
      imports: [deps.endedSessions],
      controllers: [LiveController],
      providers: [LiveHub, LiveStreamService],
      exports: [LiveHub],
    };
  }
}
