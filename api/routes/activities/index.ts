import type { AppDeps, Router } from '../../app';
import * as get from './get';
import * as list from './list';

export function registerActivityRoutes(app: Router, deps: AppDeps) {
  for (const operation of [list, get]) operation.register(app, deps);
}
