import type { Flow } from '../channel/channel-writer.ts';
import type { Route } from '../channel/router.ts';
import type { SubtaskLocation } from '../errors.ts';
import type { ControlMessage } from '../protocol/messages.ts';
import type { Clock } from '../util/clock.ts';
import { operatorBody, type OperatorLink } from './operator-stage.ts';
import { PendingInput, type RecordTime } from './pending-input.ts';
import { Stage, type Downstream, type StageBody } from './stage.ts';
import { assignerBody, type AssignerLink } from './timestamp-assigner.ts';

/** One stage of a chain: an operator, or the assigner of `withTimestamps`. */
export type ChainLink = OperatorLink | AssignerLink;

/** What a chain needs of its actor. */
export interface ChainSetup {
  /** The actor's outputs: the route, the flow, and where the route sets records aside. */
  readonly outputs: { readonly route: Route; readonly flow: Flow; readonly held: PendingInput };
  /** Control messages that reach the end of the chain, for the outputs. */
  readonly onSignal: (signal: ControlMessage) => void;
  /** Who produced the head's input (the source, or the first operator for a mailbox). */
  readonly input: SubtaskLocation;
  readonly time: RecordTime;
  readonly clock: Clock;
  /**
   * A checkpoint barrier reached link `position`, after everything before it passed that link: the
   * actor cuts the link's state there (see checkpoint/stage-state.ts). The barrier then moves on.
   */
  readonly onBarrier?: (position: number, checkpointId: number) => void;
}

/**
 * A stage's body that cuts its state when a barrier comes (every body passes barriers on; an
 * assigner passes no other upstream signal but the end). Only signals go through it, never records.
 */
function withBarriers(body: StageBody, next: Downstream, cut: (checkpointId: number) => void): StageBody {
  return {
    process: body.process,
    collect: body.collect,
    handle(signal) {
      if (signal.type !== 'barrier') return body.handle(signal);
      cut(signal.checkpointId);
      next.signal(signal);
      return true;
    },
    ...(body.processingTime ? { processingTime: (now: number) => body.processingTime!(now) } : {}),
    ...(body.nextProcessingTime ? { nextProcessingTime: () => body.nextProcessingTime!() } : {}),
    ...(body.eventTime ? { eventTime: () => body.eventTime!() } : {}),
  };
}

/**
 * Operators fused into one call path: `head.collect(r)` runs r through every operator to the
 * router. Credit holds inside the chain too: when an output of the actor runs out of credit, what is
 * on its way is set aside where it is (the rest of a batch, the rest of an iterable emitted with
 * `collectAll` in front of the stage it went to, single records in front of the router, signals
 * behind all of them), and `resume` goes on from there later, the stage nearest the outputs first,
 * since what waits there came first. So an operator that emits 10,000 records per input fills one
 * batch beyond the credit, not 10,000 records' worth.
 */
export class Chain {
  readonly head: Stage;
  readonly #stages: Stage[];
  readonly #flow: Flow;
  #ended = false;
  readonly #onSignal: (signal: ControlMessage) => void;

  constructor(links: readonly ChainLink[], setup: ChainSetup) {
    const { outputs, time, clock } = setup;
    const { flow } = outputs;
    this.#flow = flow;
    // A chain of a source alone has no operator: its router is blamed on the source.
    const last = links.length > 0 ? links[links.length - 1]!.at : setup.input;
    // The router's stage runs the route, which itself sets a record aside while an output of the
    // actor has no credit (see Hold in router.ts): within a step, once an output stalls it stays
    // stalled (credit comes back between steps), so what operators emit after the stall runs on
    // through the chain and waits in front of the router, in order; what they emit in bulk waits in
    // front of the stage it was emitted to (see collectAll).
    const route = outputs.route.collect;
    const routerBody: StageBody = {
      process: route,
      collect: route,
      handle: (signal) => {
        if (signal.type === 'end') this.#ended = true;
        setup.onSignal(signal);
        return true;
      },
    };
    const stages: Stage[] = [new Stage(routerBody, outputs.held, flow, time, last)];
    for (let i = links.length - 1; i >= 0; i--) {
      const link = links[i]!;
      const next = stages[0]!;
      const made = link.kind === 'assigner' ? assignerBody(link, next, time, clock) : operatorBody(link, next, flow, time);
      const { onBarrier } = setup;
      const position = i;
      const body = onBarrier ? withBarriers(made, next, (id) => onBarrier(position, id)) : made;
      stages.unshift(new Stage(body, new PendingInput(time), flow, time, i === 0 ? setup.input : links[i - 1]!.at));
    }
    this.#stages = stages;
    this.head = stages[0]!;
    this.#onSignal = setup.onSignal;
  }

  /**
   * Drains what the stages set aside, nearest the outputs first. True when the chain is ready for
   * new input: nothing is left and every output has credit.
   */
  resume(): boolean {
    for (let i = this.#stages.length - 1; i >= 0; i--) if (!this.#stages[i]!.drain()) return false;
    return this.#flow.stalled === 0;
  }

  /**
   * Processing time reached `now`: each stage fires what is due (timers; an assigner's periodic
   * watermark), nearest the outputs first. Call it when `resume` returned true. False if an output
   * stalled first: call again when it has credit.
   */
  processingTime(now: number): boolean {
    for (let i = this.#stages.length - 1; i >= 0; i--) {
      const body = this.#stages[i]!.body;
      if (body.processingTime && !body.processingTime(now)) return false;
      if (this.#flow.stalled !== 0) return false;
    }
    return true;
  }

  /** The earliest processing time at which a stage has a timer, if any. */
  nextProcessingTime(): number | undefined {
    let next: number | undefined;
    for (const stage of this.#stages) {
      const t = stage.body.nextProcessingTime?.();
      if (t !== undefined && (next === undefined || t < next)) next = t;
    }
    return next;
  }

  /** The newest timestamp an assigner of the chain gave a record (−Infinity without one): read for metrics. */
  get eventTime(): number {
    let newest = -Infinity;
    for (const stage of this.#stages) {
      const t = stage.body.eventTime?.();
      if (t !== undefined && t > newest) newest = t;
    }
    return newest;
  }

  /** True while some stage still holds input it could not pass on. */
  get pending(): boolean {
    for (const stage of this.#stages) if (!stage.idle) return true;
    return false;
  }

  /**
   * The chain was restored finished (every operator had emitted everything, close() included, when
   * the checkpoint was taken): the end goes straight to the outputs, past the operators.
   */
  endRestored(): void {
    this.#ended = true;
    this.#onSignal({ type: 'end' });
  }

  /** True once the end of input has passed every operator (and reached the outputs). */
  get ended(): boolean {
    return this.#ended;
  }
}
