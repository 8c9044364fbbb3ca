import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildGraph } from '../api/job.ts';
import { importJobModule } from '../api/module-loader.ts';
import { planJob } from '../plan/physical-plan.ts';
import { checkRestore } from '../checkpoint/restore-check.ts';
import { readSavepoint } from '../checkpoint/savepoint-format.ts';
import { JobHandle, type JobResult } from './job-handle.ts';
import { resolveOptions, type LoadedOptions, type ResolvedOptions, type RunOptions } from './options.ts';
import type { ThreadPool } from './thread-pool.ts';
import type { JobMetrics } from './job-metrics.ts';

/** A file URL for a module given as a URL, a file URL string, or a path (relative to the working directory). */
export function moduleUrl(module: string | URL): string {
  if (module instanceof URL) return module.href;
  if (/^file:/.test(module)) return module;
  return pathToFileURL(resolve(module)).href;
}

/**
 * Runs the job that `module` exports (`export default job(...)`) on worker threads of its own, and
 * resolves once it is running. Rejects, with everything released, if the options are wrong, the
 * module is not a job, the graph cannot be built, or a worker builds a different graph. The threads
 * end with the job; a daemon that runs many jobs can keep them with a `Runtime`.
 *
 * @example
 * ```ts
 * const handle = await run(new URL('./flights.ts', import.meta.url), { parallelism: 4, params: { path: 'flights.csv' } });
 * const rows = await handle.collected('hourly');
 * ```
 */
export async function run<P = unknown>(module: string | URL, options: RunOptions<P> = {}): Promise<JobHandle> {
  const resolved = resolveOptions(options);
  return startJob(module, resolved, async () => {
    const { ThreadPool } = await import('./thread-pool.ts');
    return new ThreadPool(resolved.workers, resolved.workerMemoryMb, true, resolved.clock);
  });
}

/**
 * What `run()` and `Runtime.run` share: imports the module, builds and plans the graph, reads and
 * checks the savepoint or checkpoint it restores, and only then takes threads from `pool()` and deploys.
 */
export async function startJob(module: string | URL, options: ResolvedOptions, pool: () => Promise<ThreadPool>): Promise<JobHandle> {
  const url = moduleUrl(module);
  const definition = await importJobModule(url);
  const graph = buildGraph(definition, options.params);
  const plan = planJob(graph, options);
  const from = options.restoreFrom;
  const resolved: LoadedOptions = { ...options, restoreFrom: typeof from === 'string' ? await readSavepoint(from, graph.job) : from };
  if (resolved.restoreFrom) checkRestore(graph, plan, resolved.restoreFrom, resolved.allowNonRestoredState);

  let settle!: { resolve: (r: JobResult) => void; reject: (e: Error) => void };
  const done = new Promise<JobResult>((resolve, reject) => (settle = { resolve, reject }));
  // A daemon that only listens to 'failed' must not be taken down by an unhandled rejection.
  done.catch(() => {});
  let handle!: JobHandle;
  // The end of a job waits until run() has returned the handle (a tiny job can finish, or a worker
  // die, while the hosts are still being started): a listener attached right after `await run()`
  // sees its event, and `done` settles after it, as it does for a job that ends later.
  let returned = false;
  const early: (() => void)[] = [];
  const end = (send: () => void) => (returned ? send() : early.push(send));
  // How the job ended, when it did not fail: `done` resolves with it, and the event of that name follows.
  const ended = (status: JobResult['status']) => (metrics: JobMetrics) =>
    end(() => {
      const result: JobResult = { job: graph.job, status, metrics };
      settle.resolve(result);
      handle.emit(status, result);
    });
  // Loaded here, not at the top (as the thread pool): job modules import weir in every worker, which needs none of it.
  const { Coordinator } = await import('./coordinator.ts');
  const coordinator = new Coordinator(url, graph, plan, resolved, await pool(), resolved.clock, {
    finished: ended('finished'),
    cancelled: ended('cancelled'),
    stopped: ended('stopped'),
    failed: (error) =>
      end(() => {
        settle.reject(error);
        handle.emit('failed', error);
      }),
    checkpoint: (checkpoint) => handle.emit('checkpoint', checkpoint.summary),
    checkpointAbandoned: (id, error) => handle.emit('checkpointAbandoned', id, error),
    restarting: (event) => handle.emit('restarting', event),
    recovered: (event) => handle.emit('recovered', event),
  });
  handle = new JobHandle(coordinator, done);
  await coordinator.start();
  // run() resolving is the first sign of a running job; the events follow on the next turn, in
  // order: 'running' (unless the job failed while its hosts were being started: it never ran),
  // then the end if it came early.
  const ran = handle.status !== 'failing' && handle.status !== 'failed';
  setImmediate(() => {
    returned = true;
    if (ran) handle.emit('running');
    for (const send of early.splice(0)) send();
  });
  return handle;
}
