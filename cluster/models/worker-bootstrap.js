// Starts a TypeScript worker entry (workerData.entry, a file URL): worker threads do not inherit
// the tsx loader that runs this repository's TypeScript, so it is registered here first.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
