import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { PortInputChannel } from '../channel/port-channel.ts';
import type { Unreadable } from '../channel/port-channel.ts';
import type { ChannelPlan, PhysicalPlan } from '../plan/physical-plan.ts';
import type { OutputStream } from './output-stream.ts';
import type { RestartScope } from './region-restart.ts';

/** How the coordinator makes and watches the collect outputs' ends. */
export interface OutputEnds {
  /** A collect output seen for the first time, on these channels (one per sink subtask). */
  newOutput(name: string, channels: readonly PortInputChannel[]): OutputStream<unknown>;
  /** Hears of a message that arrived on the coordinator's end of channel `c` but could not be unpacked. */
  unreadable(c: ChannelPlan): Unreadable;
}

/**
 * A MessagePort pair per channel of `scope`'s chains that the plan has cross threads (every chain
 * for a deployment, a restarted region's for its rebuild), by worker and channel id; in-thread
 * channels are the hosts' to make. The coordinator keeps the collect sinks' ends: an output it has
 * (a restart) takes the new channels (`attach`), a new one is made with `ends.newOutput`.
 *
 * @example
 * ```ts
 * const ports = createPorts(plan, regions.wholeJob, outputs, ends);
 * api.deploy(comlink.transfer({ ...spec, ports: ports[w] }, Object.values(ports[w])));
 * ```
 */
export function createPorts(plan: PhysicalPlan, scope: RestartScope, outputs: Map<string, OutputStream<unknown>>, ends: OutputEnds): Record<number, MessagePort>[] {
  const perWorker = Array.from({ length: plan.workers }, () => ({}) as Record<number, MessagePort>);
  const egress = new Map<string, PortInputChannel[]>(scope.outputs.map((name) => [name, []]));
  for (const c of plan.channels) {
    if (c.kind === 'local' || !scope.chainSet.has(c.from.chain)) continue;
    const { port1, port2 } = new MessageChannel();
    perWorker[c.fromWorker]![c.id] = port1;
    if (c.kind === 'port') {
      perWorker[c.toWorker]![c.id] = port2;
      continue;
    }
    egress.get((c.to as { egress: string }).egress)!.push(new PortInputChannel(port2, c.capacity, ends.unreadable(c)));
  }
  for (const [name, channels] of egress) {
    const output = outputs.get(name);
    if (output) output.attach(channels);
    // Exactly-once output waiting for its checkpoint holds credit only if periodic checkpoints will free it (newOutput's to say).
    else outputs.set(name, ends.newOutput(name, channels));
  }
  return perWorker;
}
