import { type DynamicModule, Module, type Type } from '@nestjs/common';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';

export interface MetricsModuleDeps {
  /** A module exporting SessionMetricsSource (the sessions module). */
  sessionMetrics: Type | DynamicModule;
}

/** GET /metrics. Reads owners' figures through ports; imports no feature module's code. */
@Module({})
export class MetricsModule {
  static forRoot(deps: MetricsModuleDeps): DynamicModule {
    return {
      module: MetricsModule,
      imports: [deps.sessionMetrics],
      controllers: [MetricsController],
      providers: [MetricsService],
      exports: [MetricsService],
    };
  }
}
