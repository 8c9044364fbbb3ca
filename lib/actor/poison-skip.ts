import { recordIdentity } from '../util/record-identity.ts';

/**
 * A stage's `process` that passes over the poison records the supervisor named for its operator
 * (see supervision/poison-records.ts): a record whose digest is in `poison` never reaches the key
 * selector or the operator. The supervisor has already sent each one to the dead letters, when it
 * named it, so a replay after a later restart does not send it twice.
 *
 * Cost: one digest per record (see record-identity.ts), only at the stages of operators that had a
 * poison record; every other stage keeps its plain `process`.
 *
 * @example
 * ```ts
 * const process = skip ? skipPoison(plainProcess, new Set(skip)) : plainProcess;
 * ```
 */
export function skipPoison(process: (record: unknown) => void, poison: ReadonlySet<string>): (record: unknown) => void {
  return (record) => {
    if (!poison.has(recordIdentity(record))) process(record);
  };
}
