/**
 * The watermark of an actor's input: the minimum over its channels' watermarks, leaving out channels
 * that are idle (their sender has had no records for a while) or ended. It only moves forward: a
 * channel that comes back from idleness behind the others does not pull it back (its records are
 * then late, as in Flink). When every open channel is idle, the input is idle too.
 *
 * @example
 * ```ts
 * const wm = new InputWatermarks([true, true]);
 * wm.watermark(0, 100); // undefined: channel 1 has none yet
 * wm.watermark(1, 50);  // 50
 * wm.idleChannel(1);    // { watermark: 100, idle: false }: channel 1 no longer holds it back
 * ```
 */
export class InputWatermarks {
  readonly #watermarks: number[];
  readonly #idle: boolean[];
  readonly #ended: boolean[];
  #current = -Infinity;
  #inputIdle = false;

  /**
   * One entry per channel: whether its records carry event time. A channel without never holds the
   * watermark back (it counts as ended from the start): a stream of rules without timestamps
   * connected to a timed stream, say.
   */
  constructor(timed: readonly boolean[]) {
    this.#watermarks = timed.map(() => -Infinity);
    this.#idle = timed.map(() => false);
    this.#ended = timed.map((t) => !t);
  }

  /** The input's watermark now. */
  get current(): number {
    return this.#current;
  }

  /** True while every open channel is idle. */
  get idle(): boolean {
    return this.#inputIdle;
  }

  /** Channel `i` sent a watermark; returns the input's new watermark if it advanced. */
  watermark(i: number, timestamp: number): number | undefined {
    this.#idle[i] = false;
    if (timestamp > this.#watermarks[i]!) this.#watermarks[i] = timestamp;
    return this.#combine();
  }

  /** Channel `i` sent records: it is active again (its watermark may be behind, see above). */
  active(i: number): void {
    this.#idle[i] = false;
    this.#inputIdle = false;
  }

  /**
   * Channel `i` went idle. Returns the input's new watermark if it advanced now that `i` no longer
   * holds it back, and whether the whole input went idle now (tell downstream once). When every
   * open channel is idle, the input's watermark moves to the furthest of theirs (as Flink's valve
   * does): everything behind it has been seen by every channel.
   */
  idleChannel(i: number): { watermark: number | undefined; idle: boolean } {
    this.#idle[i] = true;
    const advanced = this.#combine();
    if (advanced !== undefined || this.#inputIdle) return { watermark: advanced, idle: false };
    let max = -Infinity;
    for (let c = 0; c < this.#watermarks.length; c++) {
      if (this.#ended[c]) continue;
      if (!this.#idle[c]) return { watermark: undefined, idle: false };
      if (this.#watermarks[c]! > max) max = this.#watermarks[c]!;
    }
    this.#inputIdle = true;
    if (max <= this.#current) return { watermark: undefined, idle: true };
    this.#current = max;
    return { watermark: max, idle: true };
  }

  /** Channel `i` ended: it holds nothing back any more. Returns the input's new watermark if it advanced. */
  ended(i: number): number | undefined {
    this.#ended[i] = true;
    return this.#combine();
  }

  #combine(): number | undefined {
    let min = Infinity;
    let open = 0;
    for (let c = 0; c < this.#watermarks.length; c++) {
      if (this.#idle[c] || this.#ended[c]) continue;
      open++;
      if (this.#watermarks[c]! < min) min = this.#watermarks[c]!;
    }
    // Every channel ended: the end of input is the final watermark, sent with the end itself.
    if (open === 0 || min === Infinity || min <= this.#current) return undefined;
    this.#current = min;
    this.#inputIdle = false;
    return min;
  }
}
