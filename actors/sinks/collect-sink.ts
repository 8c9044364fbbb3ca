import type { Delivery, Sink } from '../../lib/operator/sink.ts';
import type { JsonValue } from '../../lib/util/json.ts';
import { errors } from '../../lib/errors.ts';
import { identityOperator } from '../identity.ts';

/**
 * Sends records to the coordinator, where `handle.output(name)` iterates them and
 * `handle.collected(name)` gathers them. This is how data leaves a job for the calling process: a
 * closure of the caller cannot run inside a worker thread.
 *
 * The channel to the coordinator has credit like every other: if nobody consumes the output and its
 * buffer (`collectCapacity` batches) is full, the job waits rather than losing records.
 *
 * `delivery: 'exactly-once'`: records reach `output(name)` / `collected(name)` only once the
 * checkpoint that covers them completed (the rest at the job's successful end), so that a job
 * restored from a checkpoint (`restoreFrom`, or a restart) never delivers a record twice; without
 * checkpoints everything comes at the end. Up to a checkpoint interval of output then waits in the
 * calling process's memory. The default, `at-least-once`, delivers records as they come.
 *
 * @example
 * ```ts
 * totals.to(sinks.collect('totals', { delivery: 'exactly-once' }));
 * const handle = await run(module, { checkpointIntervalMs: 1000 });
 * for await (const total of handle.output('totals')) console.log(total); // committed records only
 * ```
 */
export function collect<T>(name: string, options: { readonly delivery?: Delivery } = {}): Sink<T> {
  if (typeof name !== 'string' || name.length === 0) throw errors.invalidOption('collect name', name, 'a non-empty string');
  const delivery = options?.delivery ?? 'at-least-once';
  if (delivery !== 'at-least-once' && delivery !== 'exactly-once') throw errors.invalidOption(`collect("${name}") delivery`, delivery, "'at-least-once' or 'exactly-once'");
  // The default keeps the description (and the fingerprint) it always had.
  const describe: JsonValue = delivery === 'exactly-once' ? { name, delivery } : { name };
  return { name: 'collect', describe, egress: name, delivery, createOperator: identityOperator<T>() };
}
