import type { AppDeps, Router } from '../../app';
import * as create from './create';
import * as get from './get';

export function registerMappingRoutes(app: Router, deps: AppDeps) {
  for (const operation of [create, get]) operation.register(app, deps);
}
