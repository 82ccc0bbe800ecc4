import { Module } from '@nestjs/common';
import { LiveHub } from './live-hub.service';
import { LiveStreamService } from './live-stream.service';
import { LiveController } from './live.controller';

/** Cross-device live sync: GET /sessions/events over the cluster bus. */
@Module({
  controllers: [LiveController],
  providers: [LiveHub, LiveStreamService],
  exports: [LiveHub],
})
export class LiveModule {}
