/** Worker thread of signPool (assertions.ts): signs its share and posts the bodies back. */
import { parentPort, workerData } from 'node:worker_threads';
import { type PoolSpec, signBodies } from './assertions.ts';

const { spec, count, offset } = workerData as { spec: PoolSpec; count: number; offset: number };
parentPort?.postMessage(signBodies(spec, count, offset));
