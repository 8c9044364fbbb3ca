/**
 * Exactly-once output: the two-phase commit a sink's transactions go through (Flink's
 * `TwoPhaseCommitSinkFunction`). What a sink subtask writes goes into its open transaction, which no
 * reader sees. When a checkpoint's barrier reaches the sink subtask, the transaction is *prepared*
 * (flushed, made durable, nothing more is written to it) and a new one opens; when that checkpoint
 * completes (every actor acknowledged it) the prepared transactions it covers are *committed*
 * (made visible). If the job restarts from a checkpoint instead, every transaction not yet
 * committed is *aborted*: the replay from the checkpoint writes those records again. At the end of a
 * bounded job that finished successfully the last transactions are prepared and committed with the
 * checkpoint id `Infinity`: the end of a bounded job is final.
 *
 * A connector implements `TwoPhaseCommit` (what a transaction is, and the three steps on it);
 * `TransactionLog` keeps, per sink subtask, the open transaction and the prepared ones by checkpoint
 * and calls the steps in order. `commit` may be called again for a transaction after a crash between
 * commit and the checkpoint's record of it (a database connector stores the checkpoint id with the
 * transaction and skips one it finds): it must be idempotent. The collect sink's exactly-once
 * delivery (`sinks.collect(name, { delivery: 'exactly-once' })`) is the first implementation: its
 * transaction is the array of records, committing hands them to `handle.output(name)`.
 *
 * @example
 * ```ts
 * // A file sink: a transaction is a part file; committing renames it into place.
 * const files: TwoPhaseCommit<string, { path: string; lines: string[] }> = {
 *   begin: () => ({ path: `out/.part-${randomUUID()}`, lines: [] }),
 *   write: (txn, records) => void txn.lines.push(...records),
 *   prepare: (txn) => writeFileSync(txn.path, txn.lines.join('\n')),
 *   commit: (txn, checkpointId) => renameSync(txn.path, `out/part-${checkpointId}`),
 *   abort: (txn) => rmSync(txn.path, { force: true }),
 * };
 * const log = new TransactionLog(files);
 * log.write(['a', 'b']);
 * log.barrier(1);   // prepared: out/.part-… written
 * log.committed(1); // committed: renamed to out/part-1
 * ```
 */
export interface TwoPhaseCommit<T, Txn> {
  /** Opens a transaction: what is written into it is invisible until it is committed. */
  begin(): Txn;
  /** Writes records into the open transaction. */
  write(txn: Txn, records: readonly T[]): void;
  /** Checkpoint `checkpointId`'s barrier came: the transaction is made durable, ready to commit; nothing more is written to it. */
  prepare(txn: Txn, checkpointId: number): void | PromiseLike<void>;
  /**
   * The checkpoint the transaction was prepared for (`checkpointId`; `Infinity`: the job's successful
   * end) completed: make it visible. Idempotent: a connector that stores `checkpointId` with what it
   * commits skips a transaction it already committed.
   */
  commit(txn: Txn, checkpointId: number): void | PromiseLike<void>;
  /** The job restarts from an earlier checkpoint (or gave up): the transaction is dropped, its records will be written again. */
  abort(txn: Txn): void | PromiseLike<void>;
}

/** A transaction prepared for a checkpoint and not known to be committed yet. */
export interface PreparedTransaction<Txn> {
  readonly checkpointId: number;
  readonly txn: Txn;
}

const isThenable = (value: unknown): value is PromiseLike<void> => typeof (value as PromiseLike<void> | undefined)?.then === 'function';

/**
 * The transactions of one sink subtask, driven by what arrives in order with its records: records
 * (`write`), the barrier of a checkpoint (`barrier`: prepare), the subtask's end (`ended`); and by
 * the coordinator: a checkpoint completed (`committed`), the job ended successfully (`finish`), the
 * job restarts (`abortUncommitted`).
 *
 * A connector's steps may be asynchronous (a database commit): they then run one after the other,
 * in the order they were asked for, and each method returns the promise of its step (undefined when
 * every step so far was synchronous). A transaction stays `prepared` until its commit has finished,
 * so a checkpoint taken meanwhile still holds it.
 *
 * @example
 * ```ts
 * const log = new TransactionLog(collectTransactions((records) => delivered.push(...records)));
 * log.write([1, 2]); log.barrier(7); log.write([3]);
 * log.committed(7); // delivered: [1, 2]; 3 waits for the next checkpoint
 * ```
 */
export class TransactionLog<T, Txn> {
  readonly #sink: TwoPhaseCommit<T, Txn>;
  #open: Txn | undefined;
  /** Prepared transactions, oldest first, each with the checkpoint whose completion commits it. */
  readonly #prepared: PreparedTransaction<Txn>[] = [];
  /** The last checkpoint whose barrier came (0: none). */
  #lastBarrier = 0;
  /** The asynchronous steps still running, in order (undefined: none). */
  #work: Promise<void> | undefined;

  constructor(sink: TwoPhaseCommit<T, Txn>) {
    this.#sink = sink;
  }

  /** Records written since the last barrier, into the open transaction (opened on demand). */
  write(records: readonly T[]): void {
    this.#open ??= this.#sink.begin();
    this.#sink.write(this.#open, records);
  }

  /** Checkpoint `checkpointId`'s barrier came: the open transaction is prepared for it. */
  barrier(checkpointId: number): Promise<void> | undefined {
    this.#lastBarrier = checkpointId;
    return this.#prepare(checkpointId);
  }

  /**
   * The subtask ended: what it wrote after its last barrier is covered by the next checkpoint (which
   * records the subtask as finished), so it is prepared for that one.
   */
  ended(): Promise<void> | undefined {
    return this.#prepare(this.#lastBarrier + 1);
  }

  /** Checkpoint `checkpointId` completed: every transaction prepared for it or an earlier one is committed. */
  committed(checkpointId: number): Promise<void> | undefined {
    return this.#run(() => this.#commitUpTo(checkpointId));
  }

  /**
   * The subtask ended successfully: what is left (prepared or open) is final, and committed; last, a
   * transaction for `Infinity` (empty, if nothing was open), so that a connector that files its
   * commits by checkpoint records that this scope is done, and drops what a replay would write
   * again if the job restarts from a checkpoint taken before this end.
   */
  finish(): Promise<void> | undefined {
    this.#open ??= this.#sink.begin();
    this.#prepare(Infinity);
    return this.committed(Infinity);
  }

  /**
   * Transactions a restored subtask found prepared in its checkpoint: that checkpoint completed, so
   * they are committed (again, for those whose commit had finished: commits are idempotent) before
   * anything else.
   */
  recover(prepared: readonly PreparedTransaction<Txn>[]): Promise<void> | undefined {
    this.#prepared.unshift(...prepared);
    const last = prepared.reduce((max, p) => Math.max(max, p.checkpointId), 0);
    return last > 0 ? this.committed(last) : undefined;
  }

  /** The job restarts from a checkpoint: every transaction not committed is aborted (the replay writes its records again). */
  abortUncommitted(): Promise<void> | undefined {
    const aborted = this.#prepared.splice(0).map((p) => p.txn);
    if (this.#open !== undefined) aborted.push(this.#open);
    this.#open = undefined;
    let work: Promise<void> | undefined;
    for (const txn of aborted) work = this.#run(() => this.#sink.abort(txn));
    return work;
  }

  /** Transactions prepared and not yet committed. */
  get pending(): number {
    return this.#prepared.length;
  }

  /** The prepared transactions, oldest first: what a checkpoint of the subtask holds. */
  prepared(): PreparedTransaction<Txn>[] {
    return [...this.#prepared];
  }

  #prepare(checkpointId: number): Promise<void> | undefined {
    if (this.#open === undefined) return this.#work;
    const txn = this.#open;
    this.#open = undefined;
    this.#prepared.push({ checkpointId, txn });
    return this.#run(() => this.#sink.prepare(txn, checkpointId));
  }

  /** Commits the prepared transactions up to `checkpointId`, oldest first, each dropped once its commit finished. */
  #commitUpTo(checkpointId: number): void | Promise<void> {
    while (this.#prepared.length > 0 && this.#prepared[0]!.checkpointId <= checkpointId) {
      const { txn, checkpointId: id } = this.#prepared[0]!;
      const done = this.#sink.commit(txn, id);
      if (isThenable(done)) {
        return Promise.resolve(done).then(() => {
          if (this.#prepared[0]?.txn === txn) this.#prepared.shift();
          return this.#commitUpTo(checkpointId);
        });
      }
      this.#prepared.shift();
    }
  }

  /** Runs `step` after the steps still running (at once if none): undefined if it ran synchronously. */
  #run(step: () => void | PromiseLike<void>): Promise<void> | undefined {
    const before = this.#work;
    if (before === undefined) {
      const done = step();
      if (!isThenable(done)) return undefined;
      return this.#track(Promise.resolve(done));
    }
    return this.#track(before.then(step));
  }

  #track(work: Promise<void>): Promise<void> {
    const tracked: Promise<void> = work.finally(() => {
      if (this.#work === tracked) this.#work = undefined;
    });
    this.#work = tracked;
    return tracked;
  }
}

/**
 * The collect sink's transactions: a transaction is the array of its records, prepared as it is
 * (it lives in this process), committed by handing its records to `deliver`, aborted by dropping it.
 *
 * @example
 * ```ts
 * const log = new TransactionLog(collectTransactions<number>((records) => console.log(records)));
 * ```
 */
export function collectTransactions<T>(deliver: (records: T[]) => void): TwoPhaseCommit<T, T[]> {
  return {
    begin: () => [],
    write: (txn, records) => {
      for (const r of records) txn.push(r);
    },
    prepare: () => {},
    commit: (txn) => {
      if (txn.length > 0) deliver(txn.splice(0));
    },
    abort: (txn) => void (txn.length = 0),
  };
}
