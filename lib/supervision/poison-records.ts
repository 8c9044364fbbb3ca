import { causeMessage, errors, WeirError } from '../errors.ts';

/** What the job does with a poison record: fail (naming it), or skip it to the dead letters and go on. */
export type PoisonPolicy = 'fail' | 'skip';

/**
 * The `poison` option of `run()`: a record that fails the same operator on `after` attempts in a row
 * is a poison record, and `policy` says what then happens.
 *
 * @example
 * ```ts
 * await run(module, { restart: restarts.fixedDelay({ attempts: 5, delayMs: 100 }), poison: { after: 2, policy: 'skip' } });
 * ```
 */
export interface PoisonOptions {
  /** Failed attempts in a row that make a record poison (a whole number ≥ 1). Default 3. */
  readonly after?: number;
  /** Default `fail`. `skip` needs a restart strategy: the job restarts once more, without the record. */
  readonly policy?: PoisonPolicy;
}

export type ResolvedPoison = Required<PoisonOptions>;

/**
 * A poison record the job skipped, as `handle.deadLetters()` yields it: the record (a copy; its JSON
 * text if it could not cross threads) and the error it failed with.
 *
 * @example
 * ```ts
 * for await (const { record, error } of handle.deadLetters<Order>()) log.warn(`${error.operator} ${error.subtask}: ${error.message}`, record);
 * ```
 */
export interface DeadLetter<T = unknown> {
  readonly record: T;
  readonly error: {
    /** The message of what the user function threw. */
    readonly message: string;
    readonly operator: string;
    /** `index/parallelism` of the subtask of the record's last failure, e.g. `1/4`. */
    readonly subtask: string;
    /** Attempts in a row the record failed: `poison.after` (1 for a malformed input). */
    readonly attempts: number;
    /** `poison`: the record failed an operator `attempts` times; `malformed`: a source could not read it (a bad CSV row, say). */
    readonly kind: 'poison' | 'malformed';
  };
}

/** What the failure of an attempt means for poison records. */
export type PoisonVerdict =
  | { readonly kind: 'none' }
  | { readonly kind: 'fail'; readonly error: WeirError }
  | { readonly kind: 'skip'; readonly deadLetter: DeadLetter };

const NONE: PoisonVerdict = { kind: 'none' };

/**
 * Counts, for each record that failed an operator, the attempts in a row it failed. A record is
 * known by its operator's key and a digest of its value (see util/record-identity.ts): equal values
 * are the same record, whatever order the replay brings them in, and at any parallelism.
 *
 * A failure that names another record does not break a record's row: with parallelism above 1 only
 * the first failing subtask of an attempt is heard, so two poison records on two subtasks take turns.
 * A failure that names no record (a worker that died, a timeout, a throw outside `process`) breaks
 * every row: it says nothing of the records, and the next attempt may get past them. So the map holds
 * at most one entry per failure since then, which the restart strategy bounds.
 *
 * @example
 * ```ts
 * const poison = new PoisonRecords('orders', { after: 2, policy: 'skip' });
 * poison.onFailure(error); // { kind: 'none' }: once is not yet poison
 * poison.onFailure(error); // { kind: 'skip', deadLetter: { record, error: { ..., attempts: 2 } } }
 * poison.skipped;          // { 'uid:parse': ['Qm9…'] }: what the next attempt's actors pass over
 * ```
 */
export class PoisonRecords {
  /** Per record (operator key and digest): the attempts in a row it failed. */
  readonly #failures = new Map<string, number>();
  /** Per operator key: digests of the records its actors pass over. */
  readonly #skipped: Record<string, string[]> = {};

  constructor(
    readonly job: string,
    readonly options: ResolvedPoison,
  ) {}

  /** The poison records skipped so far, by operator key: every later attempt passes over them. */
  get skipped(): Readonly<Record<string, readonly string[]>> {
    return this.#skipped;
  }

  onFailure(error: Error): PoisonVerdict {
    const record = error instanceof WeirError ? error.record : undefined;
    if (record?.id === undefined) {
      this.#failures.clear();
      return NONE;
    }
    const key = `${record.stage} ${record.id}`;
    const attempts = (this.#failures.get(key) ?? 0) + 1;
    if (attempts < this.options.after) {
      this.#failures.set(key, attempts);
      return NONE;
    }
    this.#failures.delete(key);
    const failed = error as WeirError;
    if (this.options.policy === 'fail') return { kind: 'fail', error: errors.poisonRecord(this.job, failed, attempts) };
    (this.#skipped[record.stage] ??= []).push(record.id);
    return {
      kind: 'skip',
      deadLetter: {
        record: record.value,
        error: { message: causeMessage(failed.cause ?? failed), operator: failed.operator ?? record.stage, subtask: failed.subtask ?? '?', attempts, kind: 'poison' },
      },
    };
  }
}
