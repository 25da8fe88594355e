import type { AppDeps, Router } from '../../app';
import * as get from './get';
import * as logs from './logs';

export function registerRunRoutes(app: Router, deps: AppDeps) {
  for (const operation of [get, logs]) operation.register(app, deps);
}
