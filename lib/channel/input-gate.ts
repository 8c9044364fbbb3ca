import type { InputChannel } from './channel.ts';

/**
 * All input channels of one actor: its mailbox. Each channel's queue is bounded by that channel's
 * credit, so the mailbox as a whole is bounded too. The gate serves channels round-robin so that
 * one busy upstream cannot starve another.
 */
export class InputGate {
  readonly #ended: boolean[];
  /** Channels held while a checkpoint's barriers are aligned: what they hold waits. */
  readonly #blocked: boolean[];
  #blockedCount = 0;
  #open: number;
  #cursor = 0;

  constructor(readonly channels: readonly InputChannel[]) {
    this.#ended = channels.map(() => false);
    this.#blocked = channels.map(() => false);
    this.#open = channels.length;
  }

  /** Index of the next channel with a message (and not blocked), or -1. */
  next(): number {
    const n = this.channels.length;
    for (let k = 0; k < n; k++) {
      const i = (this.#cursor + k) % n;
      if (this.channels[i]!.queued > 0 && !this.#blocked[i]) {
        this.#cursor = (i + 1) % n;
        return i;
      }
    }
    return -1;
  }

  hasInput(): boolean {
    for (let i = 0; i < this.channels.length; i++) if (this.channels[i]!.queued > 0 && !this.#blocked[i]) return true;
    return false;
  }

  /**
   * Holds channel `i` (its barrier arrived): `next` skips it, its messages wait in its queue and keep
   * their credit. Returns true once every channel is held or ended: the barrier is aligned.
   */
  block(i: number): boolean {
    if (!this.#blocked[i]) {
      this.#blocked[i] = true;
      this.#blockedCount++;
    }
    return this.aligned;
  }

  /** True while some channel is held. */
  get blocking(): boolean {
    return this.#blockedCount > 0;
  }

  /** True once every channel is held or ended (ended channels have no barrier to wait for). */
  get aligned(): boolean {
    let n = 0;
    for (let i = 0; i < this.channels.length; i++) if (this.#blocked[i] || this.#ended[i]) n++;
    return n === this.channels.length;
  }

  /** Lets every held channel go. */
  unblockAll(): void {
    this.#blocked.fill(false);
    this.#blockedCount = 0;
  }

  /** Messages waiting across all channels (a backpressure metric). */
  get queued(): number {
    let n = 0;
    for (const channel of this.channels) n += channel.queued;
    return n;
  }

  /** The most messages each channel ever held, summed: never above the mailbox's capacity. */
  get maxQueued(): number {
    let n = 0;
    for (const channel of this.channels) n += channel.maxQueued;
    return n;
  }

  /** Records that channel `i` delivered its end of stream; returns true once every channel has. */
  end(i: number): boolean {
    if (!this.#ended[i]) {
      this.#ended[i] = true;
      this.#open--;
    }
    return this.#open === 0;
  }

  get ended(): boolean {
    return this.#open === 0;
  }
}
