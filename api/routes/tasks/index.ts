import type { AppDeps, Router } from '../../app';
import * as create from './create';
import * as list from './list';

export function registerTaskRoutes(app: Router, deps: AppDeps) {
  for (const operation of [list, create]) operation.register(app, deps);
}
