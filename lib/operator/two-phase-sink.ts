import type { JsonValue } from '../util/json.ts';
import type { ListState } from '../state/state-handles.ts';
import type { Operator, OperatorContext } from './operator.ts';
import type { Delivery, Sink } from './sink.ts';
import { TransactionLog, type PreparedTransaction, type TwoPhaseCommit } from './two-phase-commit.ts';

/**
 * A connector's side of an exactly-once sink that runs in the worker: its transactions (see
 * `TwoPhaseCommit`; `prepare`, `commit` and `abort` may be asynchronous) and what it opens and
 * closes (a connection). A transaction must be plain data: a checkpoint holds the prepared ones.
 */
export interface TwoPhaseWriter<T, Txn> extends TwoPhaseCommit<T, Txn> {
  /** Connects (the subtask takes no input until it has). */
  open?(): void | PromiseLike<void>;
  /** After the last commit at the job's end, and when the subtask is torn down. */
  close?(): void | PromiseLike<void>;
}

/** What a two-phase sink's `create` gets: where it runs, and the scope its commits are filed under. */
export interface TwoPhaseSinkContext {
  readonly context: OperatorContext;
  /**
   * `<jobId>/<operator>/<subtask>`: unique to this subtask of this run of the job, the same after a
   * restart. A connector stores the last checkpoint it committed per scope, in the same transaction
   * as the records, and skips a commit of a checkpoint at or below it: a transaction's commit can
   * come twice (again after a restart from the checkpoint that held it prepared). A transaction
   * should carry its scope: one restored at another parallelism is committed by another subtask.
   */
  readonly scope: string;
}

/** How a two-phase sink is declared. */
export interface TwoPhaseSinkDefinition<T, Txn> {
  readonly name: string;
  /** The configuration as JSON; it enters the graph fingerprint. */
  readonly describe: JsonValue;
  /** Creates the subtask's writer, in the worker, when the subtask opens. */
  create(context: TwoPhaseSinkContext): TwoPhaseWriter<T, Txn>;
  /** Records handed to `write` at once (default 512). */
  readonly writeBatch?: number;
}

/** Where a sink subtask's prepared transactions are kept in its checkpoints: a list dealt out again when the parallelism changes. */
const PREPARED = 'weir.prepared-transactions';

const track = (context: OperatorContext, work: Promise<void> | undefined): void => {
  if (work !== undefined) context.waitFor(work);
};

/**
 * An exactly-once sink from a connector's transactions (Flink's `TwoPhaseCommitSinkFunction`):
 * records go into the open transaction; as a checkpoint's barrier passes, it is prepared and kept in
 * the checkpoint (in the operator's list state, so a restore at another parallelism deals the
 * prepared transactions out); when the checkpoint completes they are committed; at the end of a
 * bounded job what is left is committed for `Infinity`. A restored subtask first commits what its
 * checkpoint held prepared (its checkpoint completed, so it must be visible; the connector skips
 * what it had committed already). A restart drops the open transaction with the failed attempt:
 * the replay writes its records again.
 *
 * Asynchronous steps go through `ctx.waitFor`: the subtask takes no input while one runs, so a slow
 * database slows the job instead of filling memory. Until its checkpoint completes, a transaction's
 * records wait in memory (or wherever `write` puts them): checkpoints bound them.
 *
 * @example
 * ```ts
 * const rows = (table: string) => twoPhaseSink<Row, { scope: string; rows: Row[] }>({
 *   name: 'rows', describe: { table },
 *   create: ({ scope }) => ({
 *     begin: () => ({ scope, rows: [] }),
 *     write: (txn, records) => void txn.rows.push(...records),
 *     prepare: () => {},
 *     commit: (txn, checkpointId) => db.insertOnce(table, txn.rows, txn.scope, checkpointId),
 *     abort: () => {},
 *   }),
 * });
 * ```
 */
export function twoPhaseSink<T, Txn>(definition: TwoPhaseSinkDefinition<T, Txn>): Sink<T> {
  const writeBatch = definition.writeBatch ?? 512;
  const delivery: Delivery = 'exactly-once';
  return {
    name: definition.name,
    describe: definition.describe,
    delivery,
    createOperator: (): Operator<T, never> => {
      let ctx: OperatorContext;
      let writer: TwoPhaseWriter<T, Txn>;
      let log: TransactionLog<T, Txn>;
      let prepared: ListState<PreparedTransaction<Txn>>;
      let buffer: T[] = [];
      let recovered = false;
      // What a restore put in the list is committed before anything else the subtask does.
      const recover = (): void => {
        if (recovered) return;
        recovered = true;
        track(ctx, log.recover(prepared.get()));
      };
      let closed: void | PromiseLike<void> | undefined;
      let isClosed = false;
      // Once: after the last commit at the end, or when the subtask is torn down.
      const close = (): void | PromiseLike<void> => {
        if (isClosed) return closed;
        isClosed = true;
        return (closed = writer.close?.());
      };
      const flush = (): void => {
        if (buffer.length === 0) return;
        log.write(buffer);
        buffer = [];
      };
      return {
        open(context) {
          ctx = context;
          writer = definition.create({ context, scope: `${context.jobId}/${context.operator}/${context.subtaskIndex}` });
          prepared = context.operatorState.list<PreparedTransaction<Txn>>(PREPARED);
          const opened = writer.open?.();
          if (opened) {
            // A checkpoint can complete (and a restored transaction be committed) before the connection
            // is open: no input comes meanwhile, but completions do. The writer's steps wait for it.
            let opening: Promise<void> | undefined = Promise.resolve(opened).then(() => void (opening = undefined));
            const afterOpen = (step: () => void | PromiseLike<void>): void | PromiseLike<void> => (opening ? opening.then(step) : step());
            log = new TransactionLog<T, Txn>({
              begin: () => writer.begin(),
              write: (txn, records) => writer.write(txn, records),
              prepare: (txn, id) => afterOpen(() => writer.prepare(txn, id)),
              commit: (txn, id) => afterOpen(() => writer.commit(txn, id)),
              abort: (txn) => afterOpen(() => writer.abort(txn)),
            });
            context.waitFor(opening);
          } else log = new TransactionLog(writer);
        },
        process(record) {
          if (!recovered) recover();
          buffer.push(record);
          if (buffer.length >= writeBatch) flush();
        },
        snapshot(checkpointId) {
          recover();
          flush();
          track(ctx, log.barrier(checkpointId));
          prepared.update(log.prepared());
          return undefined;
        },
        onCheckpointComplete(checkpointId) {
          recover();
          track(ctx, log.committed(checkpointId));
        },
        close() {
          recover();
          flush();
          const finished = log.finish();
          const closing = finished ? finished.then(() => close()) : close();
          if (closing) ctx.waitFor(closing);
        },
        dispose() {
          void Promise.resolve(close()).catch(() => {});
        },
      };
    },
  };
}
