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
  prepare(txn: Txn, checkpointId: number): void;
  /** The checkpoint that covers the transaction completed (`Infinity`: the job ended successfully): make it visible. Idempotent. */
  commit(txn: Txn, checkpointId: number): void;
  /** The job restarts from an earlier checkpoint (or gave up): the transaction is dropped, its records will be written again. */
  abort(txn: Txn): void;
}

/**
 * The transactions of one sink subtask, driven by what arrives in order with its records: records
 * (`write`), the barrier of a checkpoint (`barrier`: prepare), the subtask's end (`ended`); and by
 * the coordinator: a checkpoint completed (`committed`), the job ended successfully (`finish`), the
 * job restarts (`abortUncommitted`).
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
  readonly #prepared: { readonly checkpointId: number; readonly txn: Txn }[] = [];
  /** The last checkpoint whose barrier came (0: none). */
  #lastBarrier = 0;

  constructor(sink: TwoPhaseCommit<T, Txn>) {
    this.#sink = sink;
  }

  /** Records written since the last barrier, into the open transaction (opened on demand). */
  write(records: readonly T[]): void {
    this.#open ??= this.#sink.begin();
    this.#sink.write(this.#open, records);
  }

  /** Checkpoint `checkpointId`'s barrier came: the open transaction is prepared for it. */
  barrier(checkpointId: number): void {
    this.#lastBarrier = checkpointId;
    this.#prepare(checkpointId);
  }

  /**
   * The subtask ended: what it wrote after its last barrier is covered by the next checkpoint (which
   * records the subtask as finished), so it is prepared for that one.
   */
  ended(): void {
    this.#prepare(this.#lastBarrier + 1);
  }

  /** Checkpoint `checkpointId` completed: every transaction prepared for it or an earlier one is committed. */
  committed(checkpointId: number): void {
    while (this.#prepared.length > 0 && this.#prepared[0]!.checkpointId <= checkpointId) {
      const { txn } = this.#prepared.shift()!;
      this.#sink.commit(txn, checkpointId);
    }
  }

  /** The job ended successfully: what is left (prepared or open) is final, and committed. */
  finish(): void {
    this.#prepare(Infinity);
    this.committed(Infinity);
  }

  /** The job restarts from a checkpoint: every transaction not committed is aborted (the replay writes its records again). */
  abortUncommitted(): void {
    for (const { txn } of this.#prepared.splice(0)) this.#sink.abort(txn);
    if (this.#open !== undefined) this.#sink.abort(this.#open);
    this.#open = undefined;
  }

  /** Transactions prepared and not yet committed. */
  get pending(): number {
    return this.#prepared.length;
  }

  #prepare(checkpointId: number): void {
    if (this.#open === undefined) return;
    const txn = this.#open;
    this.#open = undefined;
    this.#sink.prepare(txn, checkpointId);
    this.#prepared.push({ checkpointId, txn });
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
