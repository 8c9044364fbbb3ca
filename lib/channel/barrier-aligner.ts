import type { InputGate } from './input-gate.ts';

/** A checkpoint whose barrier came on every input channel. */
export interface Aligned {
  readonly checkpointId: number;
  /** From the first barrier to the last, on the aligner's clock. */
  readonly alignmentMs: number;
}

/**
 * Aligns checkpoint barriers over an actor's input channels: a channel whose barrier arrived is
 * held in the gate (what follows it waits in its queue, keeping its credit) until the barrier has
 * arrived on every channel; a channel that ended counts as arrived. Barriers come in order on every
 * channel and a held channel delivers nothing, so one checkpoint is aligned at a time.
 *
 * @example
 * ```ts
 * const aligner = new BarrierAligner(gate, () => performance.now());
 * aligner.barrier(0, 7); // undefined: channel 0 is held until channel 1's barrier comes
 * aligner.barrier(1, 7); // { checkpointId: 7, alignmentMs: … }: both channels go on
 * ```
 */
export class BarrierAligner {
  #since: number | undefined;
  #checkpointId = 0;

  constructor(
    private readonly gate: InputGate,
    private readonly now: () => number,
  ) {}

  /** True while a barrier is held on some channel. */
  get aligning(): boolean {
    return this.#since !== undefined;
  }

  /** Checkpoint `checkpointId`'s barrier arrived on channel `i`: the checkpoint, if it is aligned now. */
  barrier(i: number, checkpointId: number): Aligned | undefined {
    this.#since ??= this.now();
    this.#checkpointId = checkpointId;
    return this.gate.block(i) ? this.#release() : undefined;
  }

  /** A channel ended (the gate knows which): the checkpoint being aligned, if that completed it. */
  ended(): Aligned | undefined {
    return this.#since !== undefined && this.gate.aligned ? this.#release() : undefined;
  }

  #release(): Aligned {
    const alignmentMs = this.now() - this.#since!;
    this.#since = undefined;
    this.gate.unblockAll();
    return { checkpointId: this.#checkpointId, alignmentMs };
  }
}
