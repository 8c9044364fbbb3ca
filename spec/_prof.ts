import { postgresWriter } from '../actors/sinks/postgres-sink.ts';
import { sqlTable } from '../actors/sinks/sql-table.ts';
const rows = Array.from({ length: 100_000 }, (_, i) => ({ id: i, name: `row ${i}`, value: i * 0.5, at: 1_700_000_000_000 + i }));
for (let k = 0; k < 3; k++) {
const p = postgresWriter({ url: 'postgres://postgres@127.0.0.1:5432/test', table: sqlTable('x', { table: 'prof_' + Date.now(), createTable: true }, [], false), connectTimeoutMs: 1000 }, 's' + Date.now());
await p.open!();
const t = performance.now();
const t2 = p.begin(); p.write(t2, rows);
await p.commit(t2, 1);
console.log(process.env.PER, 'pg commit 100k', (performance.now() - t).toFixed(0));
await p.close!();
}
