import { xstate } from '../util/packages.ts';

/**
 * The lifecycle of a job, as the coordinator sees it.
 *
 * created ─DEPLOY→ deploying ─DEPLOYED→ running ─FINISHED→ finished
 *                      │                   ├─FAIL→ failing ─RELEASED→ failed
 *                      └──FAIL/CANCEL──────┴─CANCEL→ cancelling ─RELEASED→ cancelled
 *
 * `failing` and `cancelling` last until every thread, port and timer is released, so that
 * `finished`, `failed` and `cancelled` mean nothing of the job is left.
 */
export const jobMachine = xstate.createMachine({
  id: 'job',
  initial: 'created',
  types: {} as {
    events:
      | { type: 'DEPLOY' }
      | { type: 'DEPLOYED' }
      | { type: 'FINISHED' }
      | { type: 'FAIL' }
      | { type: 'CANCEL' }
      | { type: 'RELEASED' };
  },
  states: {
    created: { on: { DEPLOY: 'deploying', FAIL: 'failing', CANCEL: 'cancelling' } },
    deploying: { on: { DEPLOYED: 'running', FAIL: 'failing', CANCEL: 'cancelling' } },
    running: { on: { FINISHED: 'finishing', FAIL: 'failing', CANCEL: 'cancelling' } },
    /** Every subtask finished; releasing threads before reporting success. */
    finishing: { on: { RELEASED: 'finished' } },
    failing: { on: { RELEASED: 'failed' } },
    cancelling: { on: { RELEASED: 'cancelled' } },
    finished: { type: 'final' },
    failed: { type: 'final' },
    cancelled: { type: 'final' },
  },
});

export type JobStatus = 'created' | 'deploying' | 'running' | 'finishing' | 'finished' | 'failing' | 'failed' | 'cancelling' | 'cancelled';
