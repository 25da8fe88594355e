// Keeps worker logs to warnings and errors in test output. Imported before any worker is created.
import { DefaultLogger, Runtime } from '@temporalio/worker';

Runtime.install({ logger: new DefaultLogger('WARN') });
