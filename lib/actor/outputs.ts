import type { OutputChannel } from '../channel/channel.ts';
import { ChannelWriter, CloningChannelWriter, type Flow } from '../channel/channel-writer.ts';
import { createRouter, type Route, type RouteSpec } from '../channel/router.ts';
import { errors, type SubtaskLocation } from '../errors.ts';
import type { KeySelector } from '../graph/logical-graph.ts';
import type { ChannelPlan, ResolvedPartition } from '../plan/physical-plan.ts';
import type { ControlMessage } from '../protocol/messages.ts';
import type { Clock, Timer } from '../util/clock.ts';
import { PendingInput, type RecordTime } from './pending-input.ts';

/** One output edge of an actor (the egress, if any, is the last), as the worker wired it. */
export interface ActorOutput {
  readonly partition: ResolvedPartition;
  /** Its channels in slot order, each with its plan. */
  readonly channels: readonly { readonly channel: OutputChannel; readonly plan: ChannelPlan }[];
  readonly keyOf?: KeySelector;
  /** The operator a failing key selector is reported as, e.g. `keyBy → vwap`. */
  readonly operator: string;
  /** The side output this edge carries; absent for the main output. */
  readonly tag?: string;
}

export interface OutputsSetup {
  readonly outputs: readonly ActorOutput[];
  /** The sending subtask. */
  readonly at: SubtaskLocation;
  readonly maxParallelism: number;
  readonly bufferTimeoutMs: number;
  /** Check that every record on an in-thread channel could cross threads (the `checkRecords` option). */
  readonly checkRecords: boolean;
  readonly clock: Clock;
  /** The actor's current record time: writers of streams with event time read it per record. */
  readonly time: RecordTime;
  /** Credit came back and every output can send again. */
  readonly onUnblocked: () => void;
  /** Sending failed outside a step (from the buffer timer or a credit callback). */
  readonly onFailure: (error: Error) => void;
  /**
   * Called before a message leaves for another thread: the actor publishes its figures then, so
   * that whatever the coordinator sees come out of the job is already counted in `metrics()`.
   */
  readonly beforeLeaving: () => void;
}

/** What one output channel reports in metrics. */
export interface OutputChannelMetrics {
  inFlight: number;
  maxInFlight: number;
  batchesSent: number;
  backlog: number;
  maxBacklog: number;
}

/**
 * The sending side of an actor: a writer per output channel, the router that picks them, the
 * `Flow` that says how many lack credit, and the buffer timeout that sends partly filled batches
 * of a slow stream.
 */
export class ActorOutputs {
  readonly flow: Flow = { stalled: 0 };
  readonly writers: ChannelWriter[] = [];
  /** Records that reached the router while an output had no credit, in order (the chain drains them). */
  readonly held: PendingInput;
  readonly route: Route;
  /** The routes of side outputs by tag id, setting records aside in `held` while stalled. */
  readonly #sides = new Map<string, (record: unknown) => void>();
  readonly #setup: OutputsSetup;
  #flushTimer: Timer | undefined;
  #closed = false;

  constructor(setup: OutputsSetup) {
    this.#setup = setup;
    this.held = new PendingInput(setup.time);
    const specs = setup.outputs.map((output) => this.#spec(output));
    this.route = createRouter(
      specs.filter((_, o) => setup.outputs[o]!.tag === undefined),
      { flow: this.flow, record: (record) => this.held.record(record) },
    );
    const tags = new Set(setup.outputs.flatMap((o) => (o.tag === undefined ? [] : [o.tag])));
    for (const tag of tags) {
      const route = createRouter(specs.filter((_, o) => setup.outputs[o]!.tag === tag)).collect;
      // Side records are rare (late data, alerts): set aside through a wrapper, not in the route.
      this.#sides.set(tag, (record) => {
        if (this.flow.stalled !== 0) this.held.side(route, record);
        else route(record);
      });
    }
    for (const writer of this.writers) writer.channel.onCredit = () => this.#onCredit(writer);
  }

  #spec(output: ActorOutput): RouteSpec {
    const writers = output.channels.map(({ channel, plan }) => this.#writer(channel, plan));
    this.writers.push(...writers);
    return {
      partition: output.partition,
      writers,
      maxParallelism: this.#setup.maxParallelism,
      start: this.#setup.at.subtaskIndex,
      at: { ...this.#setup.at, operator: output.operator },
      ...(output.keyOf ? { keyOf: output.keyOf } : {}),
    };
  }

  /** Sends a record to the side output `tag`; without a consumer it has nowhere to go. */
  side(tag: string): ((record: unknown) => void) | undefined {
    return this.#sides.get(tag);
  }

  #writer(channel: OutputChannel, plan: ChannelPlan): ChannelWriter {
    const notSent = (record: unknown, cause: unknown) => errors.notCloneable(this.#setup.at, plan.toName, record, cause);
    const beforeSend = plan.kind === 'local' ? undefined : this.#setup.beforeLeaving;
    const time = plan.timed ? this.#setup.time : undefined;
    const cloning = plan.copy || (plan.kind === 'local' && this.#setup.checkRecords);
    return cloning
      ? new CloningChannelWriter(channel, plan, this.flow, this.#armFlushTimer, notSent, beforeSend, time).copying(plan.copy)
      : new ChannelWriter(channel, plan, this.flow, this.#armFlushTimer, notSent, beforeSend, time);
  }

  /** Sends a control message on every channel, after the records before it. */
  control(message: ControlMessage): void {
    for (const writer of this.writers) writer.control(message);
  }

  /** Batches waiting for credit, over all channels. */
  get backlog(): number {
    let n = 0;
    for (const writer of this.writers) n += writer.backlog.length;
    return n;
  }

  get recordsSent(): number {
    let n = 0;
    for (const writer of this.writers) n += writer.recordsSent;
    return n;
  }

  channelMetrics(i: number): OutputChannelMetrics {
    const w = this.writers[i]!;
    return { inFlight: w.inFlight, maxInFlight: w.maxInFlight, batchesSent: w.batchesSent, backlog: w.backlog.length, maxBacklog: w.maxBacklog };
  }

  /** No more sending: the timer goes, and credit arriving later is ignored. */
  close(): void {
    this.#closed = true;
    this.#clearFlushTimer();
  }

  #onCredit(writer: ChannelWriter): void {
    if (this.#closed) return;
    try {
      if (!writer.drain()) return;
    } catch (error) {
      this.#setup.onFailure(error as Error);
      return;
    }
    if (writer.buffered > 0) this.#armFlushTimer();
    if (this.flow.stalled === 0) this.#setup.onUnblocked();
  }

  /** The buffer timeout: partly filled batches leave after `bufferTimeoutMs` even when the stream is slow. */
  readonly #armFlushTimer = (): void => {
    if (this.#flushTimer !== undefined || this.#closed) return;
    this.#flushTimer = this.#setup.clock.setTimeout(() => {
      this.#flushTimer = undefined;
      if (this.#closed) return;
      try {
        // A writer with a backlog keeps its partial batch: it leaves when credit has sent the
        // backlog and the batch fills or the timer comes again, so a backlog stays one batch long.
        for (const writer of this.writers) if (!writer.blocked) writer.flush();
      } catch (error) {
        this.#setup.onFailure(error as Error);
        return;
      }
      if (this.writers.some((w) => w.buffered > 0 && !w.blocked)) this.#armFlushTimer();
    }, this.#setup.bufferTimeoutMs);
  };

  #clearFlushTimer(): void {
    if (this.#flushTimer !== undefined) this.#setup.clock.clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
  }
}
