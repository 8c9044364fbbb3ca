import { errors } from '../errors.ts';
import { displayName, type LogicalGraph } from '../graph/logical-graph.ts';
import type { PhysicalPlan } from '../plan/physical-plan.ts';
import { operatorKey, type CompletedCheckpoint } from './checkpoint.ts';

/**
 * Checks, before anything is deployed, that `checkpoint` fits the job: the same job and number of
 * key groups, every operator with state in it present in the job (matched by `uid`, else by its
 * place in the graph; with `allowNonRestored`, the state of one that is not is dropped), sources
 * where sources were and at the parallelism their offsets were taken (any, for a `rescalable` one). Throws a WEIR_E_CHECKPOINT
 * error naming what does not fit.
 */
export function checkRestore(graph: LogicalGraph, plan: PhysicalPlan, checkpoint: CompletedCheckpoint, allowNonRestored = false): void {
  const job = graph.job;
  if (checkpoint.version !== 1) throw errors.checkpointMismatch(job, `its format version is ${String(checkpoint.version)}; this weir reads version 1`);
  if (checkpoint.job !== job) throw errors.checkpointMismatch(job, `it is a checkpoint of job "${checkpoint.job}"`);
  if (checkpoint.maxParallelism !== plan.maxParallelism) {
    throw errors.checkpointMismatch(job, `its state is split into ${checkpoint.maxParallelism} key groups, this run into ${plan.maxParallelism} (set maxParallelism to ${checkpoint.maxParallelism})`);
  }
  const byKey = new Map(graph.nodes.map((n) => [operatorKey(n), n]));
  for (const [key, saved] of Object.entries(checkpoint.operators)) {
    const node = byKey.get(key);
    if (!node) {
      // An operator that had finished everywhere holds nothing: dropping it from the job loses nothing.
      if (allowNonRestored || (saved.subtasks.length > 0 && saved.subtasks.every((s) => s?.kind === 'finished'))) continue;
      throw errors.checkpointMismatch(
        job,
        `operator "${saved.name}" (${key}) has state in the checkpoint, but this job has no such operator; give operators a uid() to match them across changes to the job, or pass allowNonRestoredState: true to drop its state`,
      );
    }
    const isSource = node.kind === 'source';
    if (saved.subtasks.some((s) => s !== undefined && (s.kind === 'source') !== isSource)) {
      throw errors.checkpointMismatch(job, `"${saved.name}" (${key}) is ${isSource ? 'a source here but an operator' : 'an operator here but a source'} in the checkpoint`);
    }
    const chain = plan.chains.find((c) => c.links.some((l) => l.node === node.id))!;
    if (!isSource) {
      const finished = saved.subtasks.filter((s) => s?.kind === 'finished').length;
      if (finished > 0 && finished < saved.parallelism && chain.parallelism !== saved.parallelism) {
        throw errors.checkpointMismatch(
          job,
          `operator "${displayName(node)}" had finished on ${finished} of its ${saved.parallelism} subtasks, which cannot be dealt out to parallelism ${chain.parallelism}; run it at parallelism ${saved.parallelism}`,
        );
      }
      const own = saved.subtasks.some((s) => s?.kind === 'stage' && s.stage.operator !== undefined);
      if (own && chain.parallelism !== saved.parallelism) {
        throw errors.checkpointMismatch(
          job,
          `operator "${displayName(node)}" keeps state of its own (snapshot()), which cannot be split from parallelism ${saved.parallelism} to ${chain.parallelism}; run it at parallelism ${saved.parallelism}`,
        );
      }
      continue;
    }
    // A rescalable source's offsets are unfinished splits, dealt out again at any parallelism.
    if (chain.parallelism !== saved.parallelism && node.source?.rescalable !== true) {
      throw errors.checkpointMismatch(
        job,
        `source "${displayName(node)}" read at parallelism ${saved.parallelism} and its subtasks' offsets are for that parallelism; run it at parallelism ${saved.parallelism} (keyed operators may change theirs)`,
      );
    }
  }
}
