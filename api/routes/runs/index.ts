import type { AppDeps, Router } from '../../app';
import * as events from './events';
import * as get from './get';
import * as list from './list';
import * as logs from './logs';

export function registerRunRoutes(app: Router, deps: AppDeps) {
  for (const operation of [list, get, logs, events]) operation.register(app, deps);
}
