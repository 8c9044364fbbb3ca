import type { SplitCounterState } from './checkpoint.ts';

/**
 * The shared split counter of a source (see `SourceContext.nextSplit`), made checkpointable.
 *
 * Subtasks claim splits in one global order (claim numbers 0, 1, 2, …); claim q gets `returned[q]`
 * while q is below their count, then `next + (q − returned.length)`. Each claim is logged with the
 * checkpoint its subtask last injected a barrier for. A checkpoint covers the splits claimed before
 * their claimer's barrier (they are in its reader's offset); the ones claimed after it must be
 * claimed again on restore. When checkpoint n completes, the coordinator reads the log of the claims
 * made since n was triggered: those logged at n or later (or still being logged: their subtask is
 * past its barrier, since everything it did before the barrier was done before it acknowledged) go
 * back to `returned`, in claim order.
 *
 * Layout (Int32): [claims, returned count, next, returned…, seq[LOG], epoch[LOG]]; the log is a ring
 * of the last LOG claims, each slot's `seq` written after its `epoch` so that a reader seeing the
 * claim's number there also sees its epoch.
 *
 * @example
 * ```ts
 * const buffer = newSplitCounter({ returned: [4], next: 7 });
 * claimSplit(buffer, 0); // 4
 * claimSplit(buffer, 0); // 7
 * ```
 */
const LOG = 4096;
const CLAIMS = 0;
const RETURNED = 1;
const NEXT = 2;
const HEADER = 3;

export function newSplitCounter(state: SplitCounterState = { returned: [], next: 0 }): SharedArrayBuffer {
  const buffer = new SharedArrayBuffer((HEADER + state.returned.length + 2 * LOG) * 4);
  const a = new Int32Array(buffer);
  a[RETURNED] = state.returned.length;
  a[NEXT] = state.next;
  a.set(state.returned, HEADER);
  a.fill(-1, HEADER + state.returned.length, HEADER + state.returned.length + LOG);
  return buffer;
}

const splitOf = (a: Int32Array, q: number): number => {
  const r = a[RETURNED]!;
  return q < r ? a[HEADER + q]! : a[NEXT]! + (q - r);
};

/** Claims the next split; `epoch` is the last checkpoint the claiming subtask injected a barrier for (0: none). */
export function claimSplit(buffer: SharedArrayBuffer, epoch: number): number {
  const a = new Int32Array(buffer);
  const q = Atomics.add(a, CLAIMS, 1);
  const seq = HEADER + a[RETURNED]!;
  Atomics.store(a, seq + LOG + (q % LOG), epoch);
  Atomics.store(a, seq + (q % LOG), q);
  return splitOf(a, q);
}

/** Claims made so far: read when a checkpoint is triggered, before any barrier of it is injected. */
export const claimsMade = (buffer: SharedArrayBuffer): number => Atomics.load(new Int32Array(buffer), CLAIMS);

/**
 * The counter as checkpoint `id` (triggered when `since` claims had been made) covers it, once every
 * source subtask injected its barrier; undefined if more claims came meanwhile than the log holds.
 */
export function splitStateAt(buffer: SharedArrayBuffer, since: number, id: number): SplitCounterState | undefined {
  const a = new Int32Array(buffer);
  const now = Atomics.load(a, CLAIMS);
  if (now - since > LOG) return undefined;
  const seq = HEADER + a[RETURNED]!;
  const returned: number[] = [];
  for (let q = since; q < now; q++) {
    const logged = Atomics.load(a, seq + (q % LOG)) === q;
    if (!logged || Atomics.load(a, seq + LOG + (q % LOG)) >= id) returned.push(splitOf(a, q));
  }
  // Splits never claimed: what was left of the returned ones, then the counter from where it is.
  const r = a[RETURNED]!;
  for (let q = now; q < r; q++) returned.push(a[HEADER + q]!);
  return { returned, next: a[NEXT]! + Math.max(0, now - r) };
}
