import { xstate } from '../util/packages.ts';

/**
 * The lifecycle of a job, as the coordinator sees it.
 *
 * created ─DEPLOY→ deploying ─DEPLOYED→ running ─FINISHED→ finished
 *                      │                   ├─FAIL→ failing ─RELEASED→ failed
 *                      └──FAIL/CANCEL──────┴─CANCEL→ cancelling ─RELEASED→ cancelled
 *
 *            running ─RESTART→ restarting ─DEPLOYED→ running   (the restart strategy allows one more attempt)
 *                                   └─FAIL→ failing, CANCEL→ cancelling
 *
 *            running ─STOP→ stopping ─RELEASED→ stopped   (its final checkpoint completed: stop())
 *
 * `failing`, `cancelling` and `stopping` last until every thread, port and timer is released, so that
 * `finished`, `failed`, `cancelled` and `stopped` mean nothing of the job is left. `restarting` lasts from a
 * failure until the next attempt is deployed: the failed attempt's actors are torn down, the
 * strategy's delay passes on the job's clock, and the job is deployed again from its last
 * completed checkpoint.
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
      | { type: 'RESTART' }
      | { type: 'CANCEL' }
      | { type: 'STOP' }
      | { type: 'RELEASED' };
  },
  states: {
    created: { on: { DEPLOY: 'deploying', FAIL: 'failing', CANCEL: 'cancelling' } },
    deploying: { on: { DEPLOYED: 'running', FAIL: 'failing', CANCEL: 'cancelling' } },
    running: { on: { FINISHED: 'finishing', FAIL: 'failing', RESTART: 'restarting', CANCEL: 'cancelling', STOP: 'stopping' } },
    /** A failed attempt is being torn down, its delay waited out and the job deployed again. */
    restarting: { on: { DEPLOYED: 'running', FAIL: 'failing', CANCEL: 'cancelling' } },
    /** Every subtask finished; releasing threads before reporting success. */
    finishing: { on: { RELEASED: 'finished' } },
    failing: { on: { RELEASED: 'failed' } },
    cancelling: { on: { RELEASED: 'cancelled' } },
    /** The sources stopped after the final checkpoint, which completed; releasing threads. */
    stopping: { on: { RELEASED: 'stopped' } },
    finished: { type: 'final' },
    failed: { type: 'final' },
    cancelled: { type: 'final' },
    stopped: { type: 'final' },
  },
});

export type JobStatus = 'created' | 'deploying' | 'running' | 'restarting' | 'finishing' | 'finished' | 'failing' | 'failed' | 'cancelling' | 'cancelled' | 'stopping' | 'stopped';
