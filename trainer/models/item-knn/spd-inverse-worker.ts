/**
 * A helper thread of the dense EASE solver: runs tiles of the blocked inverse over the
 * shared memory it is given, until the main thread says it is done (see spd-inverse.ts).
 */
import { workerData } from 'node:worker_threads';
import { helperLoop, type SpdHelperInit } from './spd-inverse.js';

helperLoop(workerData as SpdHelperInit);
