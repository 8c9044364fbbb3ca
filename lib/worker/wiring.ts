import type { MessagePort } from 'node:worker_threads';
import type { ActorOutput } from '../actor/outputs.ts';
import type { InputChannel, OutputChannel, PolledChannel } from '../channel/channel.ts';
import { LocalChannel } from '../channel/local-channel.ts';
import { PortInputChannel, PortOutputChannel, type Unreadable } from '../channel/port-channel.ts';
import { errors } from '../errors.ts';
import type { LogicalGraph } from '../graph/logical-graph.ts';
import type { ChannelPlan, PhysicalPlan, SubtaskRef } from '../plan/physical-plan.ts';

const refKey = (ref: SubtaskRef): string => `${ref.chain}.${ref.index}`;

/** The channels of one worker's actors, made as the plan says: in-thread queues, or ends of ports. */
/** An input channel of an actor, with what its plan says about the receiving side. */
export interface WiredInput {
  readonly channel: InputChannel;
  readonly plan: ChannelPlan;
}

/** A channel end made here, with the chain that sends on it (its region's, whichever end this is). */
export interface WiredEnd {
  readonly end: InputChannel | OutputChannel;
  readonly chain: number;
  /** A port end, for the scheduler to poll between turns. */
  readonly polled?: PolledChannel;
}

export interface Wiring {
  inputsOf(ref: SubtaskRef): WiredInput[];
  outputsOf(ref: SubtaskRef): ActorOutput[];
  /** Every channel end made, to close at the end (or when its region restarts). */
  readonly all: readonly WiredEnd[];
}

/**
 * Makes the channels of worker `worker`'s subtasks: of every chain, or of the chains in `chains` (a
 * restarted region's; a region's channels never leave it). The plan says each channel's kind and
 * bounds; nothing here decides anything. `unreadable` hears of a message that arrived on a port but
 * could not be unpacked, with the channel's name.
 */
export function wireChannels(
  plan: PhysicalPlan,
  graph: LogicalGraph,
  worker: number,
  ports: Readonly<Record<number, MessagePort>>,
  unreadable: (channel: ChannelPlan) => Unreadable,
  chains?: ReadonlySet<number>,
): Wiring {
  const inputs = new Map<string, WiredInput[]>();
  const outputs = new Map<string, { channel: OutputChannel; plan: ChannelPlan }[][]>();
  const all: WiredEnd[] = [];
  const port = (c: ChannelPlan): MessagePort => {
    const p = ports[c.id];
    if (!p) throw errors.internal(`the plan has channel ${c.id} (${c.fromName} → ${c.toName}) cross threads at worker ${worker}, but no port came for it`);
    return p;
  };
  const addOutput = (c: ChannelPlan, channel: OutputChannel) => {
    let perOutput = outputs.get(refKey(c.from));
    if (!perOutput) outputs.set(refKey(c.from), (perOutput = []));
    (perOutput[c.output] ??= [])[c.slot] = { channel, plan: c };
  };
  const addInput = (c: ChannelPlan, channel: InputChannel) => {
    const ref = c.to as SubtaskRef;
    let list = inputs.get(refKey(ref));
    if (!list) inputs.set(refKey(ref), (list = []));
    list.push({ channel, plan: c });
  };

  for (const c of plan.channels) {
    if (chains && !chains.has(c.from.chain)) continue;
    const chain = c.from.chain;
    const fromHere = c.fromWorker === worker;
    const toHere = c.toWorker === worker;
    if (c.kind === 'local') {
      if (!fromHere) continue;
      const local = new LocalChannel(c.capacity);
      addOutput(c, local);
      addInput(c, local);
      all.push({ end: local, chain });
    } else if (fromHere) {
      const out = new PortOutputChannel(port(c), c.capacity, c.maxBytes, unreadable(c));
      addOutput(c, out);
      all.push({ end: out, chain, polled: out });
    } else if (toHere) {
      const input = new PortInputChannel(port(c), c.capacity, unreadable(c));
      addInput(c, input);
      all.push({ end: input, chain, polled: input });
    }
  }

  return {
    all,
    inputsOf: (ref) => inputs.get(refKey(ref)) ?? [],
    outputsOf: (ref) => {
      const chain = plan.chains[ref.chain]!;
      const channels = outputs.get(refKey(ref)) ?? [];
      const edges: ActorOutput[] = chain.outputs.map((out, o) => ({
        partition: out.partition,
        operator: out.operator,
        channels: channels[o] ?? [],
        ...(out.keySelector === undefined ? {} : { keyOf: graph.keySelector(out.keySelector) }),
        ...(out.tag === undefined ? {} : { tag: out.tag }),
      }));
      if (chain.egress !== undefined) {
        edges.push({ partition: 'forward', operator: `output "${chain.egress}"`, channels: channels[chain.outputs.length] ?? [] });
      }
      return edges;
    },
  };
}
