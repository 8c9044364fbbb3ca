import type { KeyedOperatorContext } from '../lib/operator/operator.ts';
import type { TimeDomain } from '../lib/operator/timers.ts';
import type { Key } from '../lib/state/key-groups.ts';
import type { TriggerContext } from '../lib/window/triggers.ts';
import { windowOfId, byEnd } from '../lib/window/windows.ts';

/**
 * One window of one key, as keyed state holds it: plain data, so it is snapshotted by key group
 * with the rest of keyed state (and survives JSON). Short field names: there is one per window
 * and key, and a snapshot holds all of them.
 */
export interface WindowSlot {
  /** What the window holds (see `WindowContents`); absent when empty or purged. */
  c?: unknown;
  /** The trigger's state for this window. */
  t?: unknown;
  /** Event-time timers the trigger registered for this window. */
  et?: number[];
  /** Processing-time timers the trigger registered for this window. */
  pt?: number[];
  /** The cleanup time registered for this window (in the assigner's time domain). */
  x?: number;
}

/**
 * Everything the window operator keeps for one key, in one value state: its windows by id
 * (`windowId`), and for count windows the number of records the key had, and (process functions)
 * its last records.
 */
export interface KeyWindows {
  w: Record<string, WindowSlot>;
  n?: number;
  b?: unknown[];
}

/**
 * A key's windows, none yet. Their table is a dictionary from the start (an object without
 * prototype, which V8 keeps in dictionary mode): window ids are new property names all the time,
 * and an ordinary object would take a new hidden class for each, making every lookup of a window
 * megamorphic. It is still plain data (JSON and structured clone copy it like other objects).
 */
export const noWindows = (): KeyWindows => ({ w: Object.create(null) as Record<string, WindowSlot> });

/**
 * The windows of the current key, and their timers. Timers belong to the key, not to a window
 * (the timer service knows key and time only), so each window records the times it asked for,
 * a timer is deleted only when no window of the key still needs it, and a timer that fires is
 * handed to every window that asked for its time.
 */
export class WindowSlots {
  /** The current key's windows; set by `enter` before every call. */
  held: KeyWindows = noWindows();

  constructor(
    private readonly ctx: KeyedOperatorContext<Key>,
    /** The time domain of cleanup timers: the assigner's. */
    private readonly cleanupDomain: TimeDomain,
  ) {}

  enter(held: KeyWindows): void {
    this.held = held;
  }

  /** Whether the key holds nothing any more (its state can go). */
  get isEmpty(): boolean {
    for (const _ in this.held.w) return false;
    return this.held.n === undefined && this.held.b === undefined;
  }

  slot(id: string): WindowSlot {
    return (this.held.w[id] ??= {});
  }

  /** Whether a window holds nothing and waits for nothing but its cleanup: it can go at once. */
  static idle(slot: WindowSlot): boolean {
    return slot.c === undefined && slot.t === undefined && !slot.et?.length && !slot.pt?.length;
  }

  /** Registers the cleanup timer of a window: the time its state goes (Infinity: never). */
  cleanupAt(slot: WindowSlot, time: number): void {
    if (slot.x === time || !Number.isFinite(time)) return;
    if (slot.x !== undefined) this.#release(this.cleanupDomain, slot.x);
    slot.x = time;
    this.#register(this.cleanupDomain, time);
  }

  /** Removes a window and releases its timers. */
  drop(id: string): void {
    const slot = this.held.w[id];
    if (slot === undefined) return;
    delete this.held.w[id];
    for (const time of slot.et ?? []) this.#release('event', time);
    for (const time of slot.pt ?? []) this.#release('processing', time);
    if (slot.x !== undefined) this.#release(this.cleanupDomain, slot.x);
  }

  registerTimer(slot: WindowSlot, domain: TimeDomain, time: number): void {
    const times = domain === 'event' ? (slot.et ??= []) : (slot.pt ??= []);
    if (!times.includes(time)) times.push(time);
    this.#register(domain, time);
  }

  deleteTimer(slot: WindowSlot, domain: TimeDomain, time: number): void {
    if (this.takeTimer(slot, domain, time)) this.#release(domain, time);
  }

  /** Forgets a window's trigger timer at `time` (it fired); whether the window had one. */
  takeTimer(slot: WindowSlot, domain: TimeDomain, time: number): boolean {
    const times = domain === 'event' ? slot.et : slot.pt;
    const i = times?.indexOf(time) ?? -1;
    if (i < 0) return false;
    times!.splice(i, 1);
    if (times!.length === 0) delete slot[domain === 'event' ? 'et' : 'pt'];
    return true;
  }

  /** The windows a timer of the current key at (`domain`, `time`) is for, in the order they come due. */
  due(domain: TimeDomain, time: number): string[] {
    const ids: string[] = [];
    for (const id in this.held.w) if (this.#needs(this.held.w[id]!, domain, time)) ids.push(id);
    return ids.length > 1 ? ids.sort((a, b) => byEnd(windowOfId(a), windowOfId(b))) : ids;
  }

  #needs(slot: WindowSlot, domain: TimeDomain, time: number): boolean {
    if (domain === this.cleanupDomain && slot.x === time) return true;
    return (domain === 'event' ? slot.et : slot.pt)?.includes(time) ?? false;
  }

  #register(domain: TimeDomain, time: number): void {
    if (domain === 'event') this.ctx.timers.registerEventTime(time);
    else this.ctx.timers.registerProcessingTime(time);
  }

  /** Deletes the key's timer at (`domain`, `time`) unless another window still needs it. */
  #release(domain: TimeDomain, time: number): void {
    for (const id in this.held.w) if (this.#needs(this.held.w[id]!, domain, time)) return;
    if (domain === 'event') this.ctx.timers.deleteEventTime(time);
    else this.ctx.timers.deleteProcessingTime(time);
  }
}

/** The trigger context of one window at a time: `at(slot)` points it at the window a hook is called for. */
export class SlotTriggerContext implements TriggerContext {
  #slot: WindowSlot = {};

  constructor(
    private readonly slots: WindowSlots,
    private readonly ctx: KeyedOperatorContext<Key>,
  ) {}

  at(slot: WindowSlot): this {
    this.#slot = slot;
    return this;
  }

  get watermark(): number {
    return this.ctx.watermark;
  }

  currentProcessingTime(): number {
    return this.ctx.currentProcessingTime();
  }

  registerEventTimeTimer(time: number): void {
    this.slots.registerTimer(this.#slot, 'event', time);
  }

  deleteEventTimeTimer(time: number): void {
    this.slots.deleteTimer(this.#slot, 'event', time);
  }

  registerProcessingTimeTimer(time: number): void {
    this.slots.registerTimer(this.#slot, 'processing', time);
  }

  deleteProcessingTimeTimer(time: number): void {
    this.slots.deleteTimer(this.#slot, 'processing', time);
  }

  get state(): unknown {
    return this.#slot.t;
  }

  set state(value: unknown) {
    if (value === undefined) delete this.#slot.t;
    else this.#slot.t = value;
  }
}
