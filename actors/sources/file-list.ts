import fs from 'node:fs';
import path from 'node:path';
import picomatch from 'picomatch';

/** Characters that make a path a glob pattern. */
const GLOB = /[*?[\]{}!]/;

/**
 * The files a file source reads, sorted by path, so that every subtask (each in its own worker)
 * numbers them the same: a file, the files directly in a directory, or the files matching a glob
 * (picomatch syntax: `data/*.csv`, `logs/**\/*.jsonl`). Hidden files (a name starting with `.`) are
 * left out of directories and globs, as editors and writers keep their temporary files there.
 *
 * @example
 * ```ts
 * listFiles('data/trades-*.csv'); // ['/abs/data/trades-1.csv', '/abs/data/trades-2.csv']
 * ```
 */
export function listFiles(pattern: string): string[] {
  const absolute = path.resolve(pattern);
  if (!GLOB.test(pattern)) {
    const stat = statOrUndefined(absolute);
    if (stat?.isDirectory()) return filesIn(absolute, false).filter((f) => !path.basename(f).startsWith('.'));
    return [absolute];
  }
  // The walk starts at the deepest folder without glob characters.
  const parts = absolute.split(path.sep);
  const fixed = parts.findIndex((part) => GLOB.test(part));
  const base = parts.slice(0, fixed).join(path.sep) || path.sep;
  const recursive = parts.slice(fixed).length > 1 || pattern.includes('**');
  const matches = picomatch(absolute, { dot: false });
  return filesIn(base, recursive).filter((file) => matches(file));
}

/** Whether the pattern names one file (not a directory or a glob): follow mode then has nothing new to look for. */
export function isSingleFile(pattern: string): boolean {
  return !GLOB.test(pattern) && !statOrUndefined(path.resolve(pattern))?.isDirectory();
}

function statOrUndefined(file: string): fs.Stats | undefined {
  try {
    return fs.statSync(file);
  } catch {
    return undefined;
  }
}

function filesIn(dir: string, recursive: boolean): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const files: string[] = [];
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isFile()) files.push(full);
    else if (recursive && entry.isDirectory() && !entry.name.startsWith('.')) files.push(...filesIn(full, true));
  }
  // Code-unit order, not the locale's: the same in every worker whatever its environment.
  return files.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
