import fs from 'node:fs';
import type { SourceContext, SourceReader } from '../../lib/operator/source.ts';
import type { Timer } from '../../lib/util/clock.ts';
import { hashString } from '../../lib/util/hash.ts';
import { LineReader } from './file-splits.ts';
import { listFiles } from './file-list.ts';
import { emitter, malformedHandler, openFile, PendingBlock, type LineFormat, type MalformedPolicy, type OpenFile } from './line-source.ts';

/** A followed file: open once its header is complete; `position` is the start of its next unread line. */
interface Followed<T> {
  open: OpenFile<T> | undefined;
  /** 0 until the file is open (its header, if any, not read yet). */
  position: number;
}

/** A follow-mode reader's offset: the position of the next line of each file it reads. */
type FollowOffset = { readonly files: { readonly [file: string]: number } };

/**
 * Follow mode: each file is read by one subtask (a hash of its path), from where it was to its last
 * complete line; a line without its newline waits for it (its writer may be halfway through). When no
 * file has a new line, the directory or glob is listed again for new files; when nothing is new either,
 * the reader emits nothing, so its subtask parks, and a timer of `pollMs` on the job's clock wakes it
 * to look again. A file that is truncated or replaced is not noticed: it is read on from its old position.
 */
export function followReader<T>(pattern: string, format: LineFormat<T>, policy: MalformedPolicy, pollMs: number, context: SourceContext): SourceReader<T> {
  const { subtaskIndex, parallelism, clock } = context;
  const files = new Map<string, Followed<T>>();
  /** Files in the order they are visited; a read starts after the file the last one stopped at. */
  let order: string[] = [];
  let turn = 0;
  let pending: { file: Followed<T>; block: PendingBlock<T> } | undefined;
  let current: Followed<T> | undefined;
  let timer: Timer | undefined;
  const emit = emitter<T>(malformedHandler(format, policy, context, () => current!.open!));

  const mine = (file: string): boolean => hashString(file) % parallelism === subtaskIndex;
  /** Lists the files again; true if one of this subtask's is new. */
  const discover = (): boolean => {
    let found = false;
    for (const file of listFiles(pattern)) {
      // A named file that does not exist yet is waited for.
      if (files.has(file) || !mine(file) || !fs.existsSync(file)) continue;
      files.set(file, { open: undefined, position: 0 });
      found = true;
    }
    if (found) order = [...files.keys()].sort();
    return found;
  };
  /** The next complete lines of one of the files, visited in turn so that one busy file does not starve the others. */
  const nextBlock = (): boolean => {
    for (let tried = 0; tried < order.length; tried++) {
      const followed = files.get(order[turn % order.length]!)!;
      if (followed.open === undefined) {
        followed.open = openFile(format, order[turn % order.length]!, true);
        if (followed.open !== undefined && followed.position === 0) followed.position = followed.open.dataStart;
      }
      if (followed.open !== undefined) {
        // A reader per block read: it holds a chunk's buffer, which a file with nothing new should not keep.
        const block = new LineReader(followed.open.fd, followed.position, Infinity, false).next();
        if (block !== undefined) {
          followed.position = block.end;
          current = followed;
          pending = { file: followed, block: new PendingBlock(block, followed.open.parse(block)) };
          turn++;
          return true;
        }
      }
      turn++;
    }
    return false;
  };

  return {
    read(max, out) {
      let emitted = 0;
      while (emitted < max) {
        if (pending !== undefined && !pending.block.done) {
          current = pending.file;
          emitted += emit(pending.block, max - emitted, out);
          continue;
        }
        pending = undefined;
        if (nextBlock()) continue;
        if (!discover() || !nextBlock()) break;
      }
      if (emitted === 0 && timer === undefined) {
        timer = clock.setTimeout(() => {
          timer = undefined;
          context.wakeUp();
        }, pollMs);
      }
      return true;
    },
    offset() {
      const positions: Record<string, number> = {};
      for (const [file, followed] of files) positions[file] = followed.position;
      // The block being emitted is not read yet past its next line.
      if (pending !== undefined && !pending.block.done) positions[pending.file.open!.file] = pending.block.position;
      return { files: positions };
    },
    seek(offset) {
      closeAll();
      for (const [file, position] of Object.entries((offset as FollowOffset).files)) files.set(file, { open: undefined, position });
      order = [...files.keys()].sort();
    },
    close() {
      closeAll();
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
    },
  };

  function closeAll(): void {
    for (const followed of files.values()) if (followed.open !== undefined) fs.closeSync(followed.open.fd);
    files.clear();
    order = [];
    pending = undefined;
    current = undefined;
  }
}
