import { getHeapStatistics } from 'node:v8';
import { threadId } from 'node:worker_threads';
import { buildGraph } from '../api/job.ts';
import { Scheduler } from '../actor/scheduler.ts';
import { SubtaskActor, type ActorOutput } from '../actor/subtask-actor.ts';
import type { InputChannel, OutputChannel } from '../channel/channel.ts';
import { InputGate } from '../channel/input-gate.ts';
import { LocalChannel } from '../channel/local-channel.ts';
import { PortInputChannel, PortOutputChannel } from '../channel/port-channel.ts';
import { errors } from '../errors.ts';
import { describeDifference, displayName, type LogicalGraph } from '../graph/logical-graph.ts';
import { workerOf, type ChannelPlan, type SubtaskRef } from '../plan/physical-plan.ts';
import { systemClock } from '../util/clock.ts';
import type { DeploySpec, HostApi, HostMetrics, HostOutcome } from './deploy-spec.ts';
import { importJobModule } from './module-loader.ts';
import { serializeError } from './serialized-error.ts';

const refKey = (ref: SubtaskRef): string => `${ref.chain}.${ref.index}`;

/**
 * The long-lived resident of one worker thread: it holds the actors of every subtask placed on
 * this worker, wires their channels (in-thread or MessagePort), and answers the coordinator's
 * control calls (deploy, start, metrics, cancel) over comlink. Data never passes through here.
 */
export class Host implements HostApi {
  readonly #scheduler = new Scheduler();
  readonly #actors: SubtaskActor[] = [];
  readonly #channels: (InputChannel | OutputChannel)[] = [];
  #pending = 0;
  #outcome: HostOutcome | undefined;
  #settle: ((outcome: HostOutcome) => void) | undefined;
  readonly #completion: Promise<HostOutcome>;
  #peakHeap = 0;
  readonly closed: Promise<void>;
  #close!: () => void;

  constructor(readonly workerIndex: number) {
    this.#completion = new Promise((resolve) => (this.#settle = resolve));
    this.closed = new Promise((resolve) => (this.#close = resolve));
    this.#scheduler.onSlice = () => this.#sampleHeap();
  }

  async deploy(spec: DeploySpec): Promise<void> {
    try {
      const definition = await importJobModule(spec.moduleUrl);
      const graph = buildGraph(definition, spec.params);
      if (graph.fingerprint() !== spec.fingerprint) {
        throw errors.graphMismatch(graph.job, spec.workerIndex, describeDifference(spec.graph, graph.describe()));
      }
      this.#wire(graph, spec);
      for (const actor of this.#actors) actor.open();
    } catch (error) {
      // comlink would reduce the error to message and stack; keep code, operator and cause.
      throw serializeError(error);
    }
  }

  start(): void {
    if (this.#pending === 0) this.#finish({ status: 'finished' });
    for (const actor of this.#actors) actor.start();
  }

  completion(): Promise<HostOutcome> {
    return this.#completion;
  }

  metrics(): HostMetrics {
    const heapUsedBytes = this.#sampleHeap();
    return {
      worker: this.workerIndex,
      threadId,
      heapUsedBytes,
      peakHeapBytes: this.#peakHeap,
      actors: this.#actors.map((a) => a.metrics()),
    };
  }

  cancel(): void {
    this.#scheduler.stop();
    for (const actor of this.#actors) actor.cancel();
    for (const channel of this.#channels) void channel.close();
    this.#channels.length = 0;
  }

  shutdown(): void {
    this.cancel();
    this.#close();
  }

  #sampleHeap(): number {
    const used = getHeapStatistics().used_heap_size;
    if (used > this.#peakHeap) this.#peakHeap = used;
    return used;
  }

  #finish(outcome: HostOutcome): void {
    if (this.#outcome) return;
    this.#outcome = outcome;
    this.#settle!(outcome);
  }

  readonly #onActorDone = (_actor: SubtaskActor, error?: Error): void => {
    if (error) {
      // Stop this worker's share at once; the coordinator cancels the other workers.
      this.#scheduler.stop();
      this.#finish({ status: 'failed', error: serializeError(error) });
      return;
    }
    if (--this.#pending === 0) this.#finish({ status: 'finished' });
  };

  #wire(graph: LogicalGraph, spec: DeploySpec): void {
    const { plan } = spec;
    const mine = (ref: SubtaskRef) => workerOf(ref, plan.workers) === spec.workerIndex;
    const inputs = new Map<string, InputChannel[]>();
    const outputs = new Map<string, OutputChannel[][]>();
    const port = (channel: ChannelPlan) => {
      const p = spec.ports[channel.id];
      if (!p) throw new Error(`weir internal error: no port for channel ${channel.id} on worker ${spec.workerIndex}`);
      return p;
    };
    const addOutput = (c: ChannelPlan, channel: OutputChannel) => {
      const perOutput = outputs.get(refKey(c.from)) ?? [];
      outputs.set(refKey(c.from), perOutput);
      ((perOutput[c.output] ??= [])[c.slot] = channel);
    };
    const addInput = (ref: SubtaskRef, channel: InputChannel) => {
      const list = inputs.get(refKey(ref)) ?? [];
      inputs.set(refKey(ref), list);
      list.push(channel);
    };

    for (const c of plan.channels) {
      const toEgress = 'egress' in c.to;
      const fromHere = mine(c.from);
      const toHere = !('egress' in c.to) && mine(c.to);
      if (!fromHere && !toHere) continue;
      const capacity = toEgress ? spec.collectCapacity : spec.mailboxCapacity;
      if (fromHere && toHere) {
        const local = new LocalChannel(capacity);
        addOutput(c, local);
        addInput(c.to as SubtaskRef, local);
        this.#channels.push(local);
      } else if (fromHere) {
        const out = new PortOutputChannel(port(c), capacity);
        addOutput(c, out);
        this.#channels.push(out);
        this.#scheduler.poll(out);
      } else {
        const input = new PortInputChannel(port(c), capacity);
        addInput(c.to as SubtaskRef, input);
        this.#channels.push(input);
        this.#scheduler.poll(input);
      }
    }

    for (const chain of plan.chains) {
      for (let index = 0; index < chain.parallelism; index++) {
        const ref = { chain: chain.id, index };
        if (!mine(ref)) continue;
        const channelsOut = outputs.get(refKey(ref)) ?? [];
        const actorOutputs: ActorOutput[] = chain.outputs.map((out, o) => {
          const partition = graph.node(out.edge.toNode).inputs[out.edge.inputIndex]!.partition;
          const target = plan.chains[out.to]!;
          const channels = channelsOut[o] ?? [];
          return {
            partition: out.partition,
            operator: `keyBy → ${displayName(graph.node(out.edge.toNode))}`,
            channels,
            targets: channels.map((_, slot) =>
              out.partition === 'forward' ? `${target.name} ${index + 1}/${target.parallelism}` : `${target.name} ${slot + 1}/${target.parallelism}`,
            ),
            ...(partition.type === 'hash' ? { keyOf: partition.key } : {}),
          };
        });
        if (chain.egress !== undefined) {
          actorOutputs.push({
            partition: 'forward',
            operator: `output "${chain.egress}"`,
            channels: channelsOut[chain.outputs.length] ?? [],
            targets: [`output "${chain.egress}"`],
          });
        }
        this.#actors.push(
          new SubtaskActor({
            graph,
            chain,
            index,
            maxParallelism: plan.maxParallelism,
            params: spec.params,
            gate: new InputGate(inputs.get(refKey(ref)) ?? []),
            outputs: actorOutputs,
            splitCounters: spec.splitCounters,
            batchSize: spec.batchSize,
            bufferTimeoutMs: spec.bufferTimeoutMs,
            scheduler: this.#scheduler,
            clock: systemClock,
            onDone: this.#onActorDone,
          }),
        );
      }
    }
    this.#pending = this.#actors.length;
  }
}
