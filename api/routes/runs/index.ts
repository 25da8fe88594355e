import type { AppDeps, Router } from '../../app';
import * as get from './get';

export function registerRunRoutes(app: Router, deps: AppDeps) {
  get.register(app, deps);
}
