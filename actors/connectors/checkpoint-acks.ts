/**
 * What a broker source acknowledges when: the position it had read to when each checkpoint's offset
 * was taken, until that checkpoint completes (or a later one does, which covers it). Only positions
 * of checkpoints in flight are kept: a completed checkpoint drops its own and every earlier one, an
 * abandoned checkpoint's position goes with the next completion.
 *
 * @example
 * ```ts
 * const acks = new CheckpointAcks<string>();
 * acks.taken(3, '17-0'); acks.taken(4, '21-0');
 * acks.completed(3); // '17-0': acknowledge entries up to 17-0; 21-0 waits for checkpoint 4
 * ```
 */
export class CheckpointAcks<P> {
  /** Checkpoint id → the position read to when its offset was taken, oldest first. */
  readonly #covered = new Map<number, P>();
  #checkpointing = false;

  /** An offset was taken: for checkpoint `checkpointId`, or (undefined) for no checkpoint. */
  taken(checkpointId: number | undefined, position: P): void {
    if (checkpointId === undefined) return;
    this.#checkpointing = true;
    this.#covered.set(checkpointId, position);
  }

  /** The reader was restored from a checkpoint: the job takes checkpoints. */
  restored(): void {
    this.#checkpointing = true;
  }

  /** Whether the job takes checkpoints, as far as this reader has seen: one was taken or restored. */
  get checkpointing(): boolean {
    return this.#checkpointing;
  }

  /** Checkpoint `checkpointId` completed: the position to acknowledge up to, if it covers one. */
  completed(checkpointId: number): P | undefined {
    let position: P | undefined;
    for (const [id, at] of this.#covered) {
      if (id > checkpointId) break;
      position = at;
      this.#covered.delete(id);
    }
    return position;
  }
}
