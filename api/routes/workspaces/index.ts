import type { AppDeps, Router } from '../../app';
import * as create from './create';
import * as get from './get';
import * as list from './list';

export function registerWorkspaceRoutes(app: Router, deps: AppDeps) {
  for (const operation of [list, create, get]) operation.register(app, deps);
}
