import { xstate } from '../util/packages.ts';

/**
 * The lifecycle of one subtask actor. Transitions that make no sense (processing after a failure,
 * finishing twice, reopening a cancelled actor) are absent from the machine, so an event that
 * arrives in the wrong state is ignored rather than guarded by scattered ifs.
 *
 * created ─OPENED→ running ─INPUT_ENDED→ finishing ─DRAINED→ finished
 *    └──────────────┴───────────┴─ FAIL → failed, CANCEL → cancelled
 */
export const actorMachine = xstate.createMachine({
  id: 'subtask',
  initial: 'created',
  types: {} as {
    events: { type: 'OPENED' } | { type: 'INPUT_ENDED' } | { type: 'DRAINED' } | { type: 'FAIL' } | { type: 'CANCEL' };
  },
  states: {
    created: { on: { OPENED: 'running', FAIL: 'failed', CANCEL: 'cancelled' } },
    /** Processing input (or reading, for a source). */
    running: { on: { INPUT_ENDED: 'finishing', FAIL: 'failed', CANCEL: 'cancelled' } },
    /** Every input ended and close hooks ran; waiting for credit to send the last batches and end markers. */
    finishing: { on: { DRAINED: 'finished', FAIL: 'failed', CANCEL: 'cancelled' } },
    finished: { type: 'final' },
    failed: { type: 'final' },
    cancelled: { type: 'final' },
  },
});

export type ActorStatus = 'created' | 'running' | 'finishing' | 'finished' | 'failed' | 'cancelled';
