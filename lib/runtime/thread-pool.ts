import { extname } from 'node:path';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type { Clock } from '../util/clock.ts';

/** The worker entry (lib/worker), as .ts when weir runs from source and .js when compiled. */
const WORKER_ENTRY = new URL(`../worker/worker-entry${extname(new URL(import.meta.url).pathname)}`, import.meta.url).href;

/** How long a host may take to return after `shutdown` before its thread is terminated. */
const SHUTDOWN_GRACE_MS = 1000;

/** One host of one job, placed on a thread of the pool. */
export interface HostLease {
  /** The coordinator's end of the host's control port. */
  readonly control: MessagePort;
  /** The piscina task that runs the host: it returns after `shutdown`, rejects if the thread dies. */
  readonly task: Promise<void>;
}

interface Lease extends HostLease {
  readonly abort: AbortController;
  returned: boolean;
}

/**
 * Young generation of each worker (V8's default is 48 MB: three 16 MB semi-spaces). Records that
 * cross actors are short-lived objects, and a scavenge costs about the same however much died, so
 * fewer, larger ones are cheaper: at 64 MB a worker of the bid bench at parallelism 2 scavenges a
 * third less often and spends ~13% less time in GC, for 5-15% more records/s (8 of 8 interleaved
 * pairs). At 128 MB and beyond it got slower again: the young generation outgrows the caches.
 */
const YOUNG_GENERATION_MB = 64;

/**
 * The worker threads that host actors: a piscina pool whose tasks are long-lived hosts, one per
 * thread per job (piscina gives an abortable task a thread of its own). `run()` makes a pool per job
 * and destroys it with the job; a `Runtime` keeps one for many jobs, so their threads start once and
 * keep the code V8 compiled in them.
 */
export class ThreadPool {
  readonly #piscina: Piscina;
  #leased = 0;
  #destroyed: Promise<void> | undefined;

  constructor(
    /** Threads in the pool. */
    readonly size: number,
    workerMemoryMb: number | undefined,
    /** Destroy the pool when its last job gives its hosts back (the pool of a one-off `run()`). */
    private readonly closeWhenIdle: boolean,
    private readonly clock: Clock,
  ) {
    this.#piscina = new Piscina({
      filename: WORKER_ENTRY,
      minThreads: size,
      maxThreads: size,
      idleTimeout: Infinity,
      atomics: 'disabled',
      resourceLimits: {
        maxYoungGenerationSizeMb: YOUNG_GENERATION_MB,
        ...(workerMemoryMb === undefined ? {} : { maxOldGenerationSizeMb: workerMemoryMb }),
      },
    });
    // piscina reports here only what happens outside any task: a thread with no host that died.
    // It starts a fresh one, and no job was on it (a job's thread dying rejects that job's host
    // task, see `lease`), so there is no job to tell. An EventEmitter with no 'error' listener
    // would throw it into the process instead.
    this.#piscina.on('error', () => {});
  }

  /** Threads not hosting a job. */
  get free(): number {
    return this.#destroyed ? 0 : this.size - this.#leased;
  }

  /**
   * Starts one host per thread on `count` free threads. `onDied` hears of a thread that dies under
   * a host (a task that fails without having been terminated on purpose). The caller checks `free`.
   */
  lease(count: number, onDied: (worker: number, error: unknown) => void): HostLease[] {
    if (count > this.free) throw new RangeError(`${count} threads asked, ${this.free} free`);
    this.#leased += count;
    return Array.from({ length: count }, (_, workerIndex) => {
      const { port1, port2 } = new MessageChannel();
      const abort = new AbortController();
      const lease: Lease = {
        control: port1,
        abort,
        returned: false,
        task: this.#piscina.run({ control: port2, workerIndex }, { transferList: [port2], signal: abort.signal }).then(
          () => void (lease.returned = true),
          (error: unknown) => {
            lease.returned = true;
            if (!abort.signal.aborted) onDied(workerIndex, error);
          },
        ),
      };
      return lease;
    });
  }

  /**
   * Takes back hosts that were told to shut down (`terminate`: hosts whose threads are ended now;
   * `graceClock`: the clock of the grace period, if not the pool's). A host that has not returned within the grace
   * period (stuck in user code, say) loses its thread: piscina terminates it and starts a fresh one.
   */
  async giveBack(hosts: readonly HostLease[], options: { keep?: boolean; terminate?: readonly HostLease[]; graceClock?: Clock } = {}): Promise<void> {
    const leases = hosts as readonly Lease[];
    // A host the supervisor gave up on (stuck past actorTimeoutMs) loses its thread at once; piscina starts a fresh one.
    for (const lease of (options.terminate ?? []) as readonly Lease[]) if (!lease.returned) lease.abort.abort();
    // `keep`: the job takes threads again at once (a restart), so a one-off pool is not destroyed.
    if (this.closeWhenIdle && !options.keep && this.#leased === leases.length) {
      this.#leased = 0;
      await this.destroy();
      return;
    }
    let timer: ReturnType<Clock['setTimeout']> | undefined;
    let endGrace!: () => void;
    const grace = new Promise<void>((resolve) => (endGrace = resolve));
    const clock = options.graceClock ?? this.clock;
    timer = clock.setTimeout(endGrace, SHUTDOWN_GRACE_MS);
    await Promise.race([Promise.all(leases.map((l) => l.task)), grace]);
    clock.clearTimeout(timer);
    for (const lease of leases) if (!lease.returned) lease.abort.abort();
    await Promise.all(leases.map((l) => l.task));
    this.#leased -= leases.length;
  }

  /** Terminates every thread; hosts still running are cut off. */
  destroy(): Promise<void> {
    this.#destroyed ??= this.#piscina.destroy();
    return this.#destroyed;
  }
}
