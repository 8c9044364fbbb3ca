import type { Sink } from '../../lib/operator/sink.ts';
import { errors } from '../../lib/errors.ts';
import { identityOperator } from '../identity.ts';

/**
 * Sends records to the coordinator, where `handle.output(name)` iterates them and
 * `handle.collected(name)` gathers them. This is how data leaves a job for the calling process: a
 * closure of the caller cannot run inside a worker thread.
 *
 * The channel to the coordinator has credit like every other: if nobody consumes the output and its
 * buffer (`collectCapacity` batches) is full, the job waits rather than losing records.
 */
export function collect<T>(name: string): Sink<T> {
  if (typeof name !== 'string' || name.length === 0) throw errors.invalidOption('collect name', name, 'a non-empty string');
  return { name: 'collect', describe: { name }, egress: name, createOperator: identityOperator<T>() };
}
