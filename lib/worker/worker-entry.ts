import { comlink } from '../util/packages.ts';
import type { MessagePort } from 'node:worker_threads';
import { installErrorWire } from '../protocol/error-wire.ts';
import { Host } from './host.ts';

installErrorWire();

/**
 * The piscina task that makes a worker thread a weir host for one job. It runs for the whole job:
 * piscina's per-task dispatch is used once per worker to place a host, never on the data path. The
 * task returns when the coordinator calls `shutdown`; the thread then waits for the next job of its
 * runtime, or ends with the pool of a one-off `run()`.
 */
export default async function hostTask({ control, workerIndex }: { control: MessagePort; workerIndex: number }): Promise<void> {
  const host = new Host(workerIndex, (event) => control.postMessage(event));
  comlink.expose(host, control as unknown as Parameters<typeof comlink.expose>[1]);
  await host.closed;
  control.close();
}
