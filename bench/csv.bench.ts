/**
 * The CSV case of `npm run bench` alone: `node dist/bench/csv.bench.js [--megabytes 200] [--rounds 1]`.
 * Prints the figures, then one JSON line (the `csv` part of `npm run bench`'s).
 */
import { parseArgs } from 'node:util';
import { wholeArg } from './args.ts';
import { csvFigures } from './csv.ts';

const { values } = parseArgs({ options: { megabytes: { type: 'string' }, rounds: { type: 'string' } } });
const figures = await csvFigures(wholeArg('csv bench', 'megabytes', values.megabytes, 200, 1), wholeArg('csv bench', 'rounds', values.rounds, 1, 1), console.log);
console.log(`p1 throughput ratio to loop ${figures.p1.throughputRatio} (bar: ≥ 0.8), p2 ${figures.p2.throughputRatio} (bar: > 1)`);
console.log(JSON.stringify({ csv: figures }));
