import type { AppDeps, Router } from '../../app';
import * as remove from './delete';
import * as list from './list';

export function registerContractRoutes(app: Router, deps: AppDeps) {
  for (const operation of [list, remove]) operation.register(app, deps);
}
