import { operatorKey } from '../checkpoint/checkpoint.ts';
import { restoredStage, type WireCheckpoint, type WireSubtaskState } from '../checkpoint/serialized-stage.ts';
import { errors, userError, type SubtaskLocation } from '../errors.ts';
import type { LogicalGraph } from '../graph/logical-graph.ts';
import type { SourceReader } from '../operator/source.ts';
import type { ChainPlan } from '../plan/physical-plan.ts';
import { keyGroupRange } from '../state/key-groups.ts';
import type { KeyedStateBackend } from '../state/keyed-state-backend.ts';
import type { JsonValue } from '../util/json.ts';
import type { ChainLink } from './chain.ts';
import { restoreStage } from './stage-state.ts';

/** Where one subtask's share of a checkpoint goes. */
export interface SubtaskRestoreTarget {
  readonly graph: LogicalGraph;
  readonly chain: ChainPlan;
  readonly index: number;
  readonly maxParallelism: number;
  /** The chain's opened links, with their graph nodes. */
  readonly links: readonly { readonly link: ChainLink; readonly node: number }[];
  readonly keyed: KeyedStateBackend;
  /** The chain's source reader, when the chain starts with a source. */
  readonly source: { readonly reader: SourceReader<unknown>; readonly at: SubtaskLocation } | undefined;
}

/** What the subtask itself keeps of a restore, besides its stages' state and its reader's position. */
export interface RestoredSubtask {
  /** It had finished in the checkpointed run: it sends its end at once, nothing else. */
  readonly finished: boolean;
  /** Unfinished splits of the earlier run for its reader to resume before it claims new ones. */
  readonly resumable: JsonValue[];
}

/**
 * Puts back one subtask's share of `checkpoint`: each stage's state (keyed state by the key groups
 * the subtask owns; an old subtask none of whose groups it owns is not even decoded), and the
 * source's position.
 *
 * @example
 * ```ts
 * const { finished, resumable } = restoreSubtask(setup.restore, { graph, chain, index, maxParallelism, links, keyed, source });
 * ```
 */
export function restoreSubtask(checkpoint: WireCheckpoint, target: SubtaskRestoreTarget): RestoredSubtask {
  const { graph, chain, index, maxParallelism, links, keyed, source } = target;
  const { start, end } = keyGroupRange(index, chain.parallelism, maxParallelism);
  const owns = (g: number) => g >= start && g < end;
  let finished = false;
  const resumable: JsonValue[] = [];
  const savedSource = source && checkpoint.operators[operatorKey(graph.node(chain.links[0]!.node))];
  if (savedSource && restoreSource(savedSource, target, resumable)) finished = true;
  for (const { link, node } of links) {
    const saved = checkpoint.operators[operatorKey(graph.node(node))];
    if (!saved) continue;
    if (restoredFinished(saved.subtasks, saved.parallelism, link.at)) {
      finished = true;
      continue;
    }
    const from = saved.subtasks.map((s, old) => {
      const range = keyGroupRange(old, saved.parallelism, maxParallelism);
      return restoredStage(s, range.start < end && range.end > start);
    });
    restoreStage({ link, node, keyed, maxParallelism }, from, link.at, owns);
  }
  return { finished, resumable };
}

/**
 * A source subtask's position: at the same parallelism its own offset (and the unfinished splits
 * dealt to it earlier); at another (a rescalable source, see restore-check.ts) no offset of its
 * own, but every unfinished split of the earlier subtasks, dealt out round-robin, for its reader
 * to resume before it claims new ones. The split counter is the source's, whatever the parallelism.
 * True if the source had finished.
 */
function restoreSource(saved: WireCheckpoint['operators'][string], target: SubtaskRestoreTarget, resumable: JsonValue[]): boolean {
  const { index, chain } = target;
  const source = target.source!;
  const states = saved.subtasks.flatMap((s) => (s?.kind === 'source' ? [s] : []));
  if (saved.parallelism !== chain.parallelism) {
    const unfinished = states.filter((s) => !s.finished).flatMap((s) => [s.offset, ...(s.pending ?? [])]);
    resumable.push(...unfinished.filter((_, i) => i % chain.parallelism === index));
    return states.length === saved.parallelism && states.every((s) => s.finished);
  }
  const mine = saved.subtasks[index];
  if (mine?.kind !== 'source') return false;
  resumable.push(...(mine.pending ?? []));
  try {
    source.reader.seek(mine.offset);
  } catch (cause) {
    throw userError(cause, { ...source.at, while: 'seeking to its checkpointed offset' });
  }
  return mine.finished === true;
}

/**
 * Whether this subtask of an operator starts finished: every subtask of the checkpointed run had
 * finished (at any parallelism), or at the same parallelism, the same subtask had. Some finished
 * and others not cannot be dealt out to another parallelism (it happens only on forward edges
 * from sources, whose parallelism cannot change anyway).
 */
function restoredFinished(subtasks: readonly (WireSubtaskState | undefined | null)[], parallelism: number, at: SubtaskLocation): boolean {
  const finished = subtasks.filter((s) => s?.kind === 'finished').length;
  if (finished === 0) return false;
  if (finished === parallelism) return true;
  if (parallelism !== at.parallelism) {
    throw errors.checkpointMismatch(at.job, `operator "${at.operator}" had finished on ${finished} of its ${parallelism} subtasks, which cannot be dealt out to parallelism ${at.parallelism}; run it at parallelism ${parallelism}`);
  }
  return subtasks[at.subtaskIndex]?.kind === 'finished';
}
