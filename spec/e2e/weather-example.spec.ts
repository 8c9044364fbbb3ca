/**
 * The weather example on its real data (examples/data/weather.csv), into SQLite at parallelism 1
 * and 2 and into PostgreSQL, against a reference computed plainly here from the same file: every
 * day's and month's figures per station, and the same alerts whatever the parallelism or database.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_PATH, type Anomaly, type Day, type Month, type WeatherParams } from '../../examples/weather.ts';
import { assertSameMultiset, Runtime, watchdog } from '../helpers.ts';
import { reachable, SERVICES } from '../services.ts';

const Database = createRequire(import.meta.url)('better-sqlite3') as typeof import('better-sqlite3');
const example = new URL('../../examples/weather.ts', import.meta.url);
const Weather = suite('weather example');
const runtime = new Runtime({ workers: 2 });
Weather.after(() => runtime.close());

interface Tables {
  days: Day[];
  months: Month[];
  alerts: Anomaly[];
}

const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Per station and day, then month, straight from the CSV. */
function reference(): Pick<Tables, 'days' | 'months'> {
  const [, ...lines] = readFileSync(DEFAULT_PATH, 'utf8').trim().split('\n');
  const days: Day[] = lines.map((line) => {
    const [station, date, precipitation, max, min] = line.split(',');
    return { station: station!, day: date!, readings: 1, tempMin: Number(min), tempMax: Number(max), tempMean: round((Number(min) + Number(max)) / 2), precipitation: round(Number(precipitation), 1) };
  });
  const months = new Map<string, Day[]>();
  for (const d of days) months.set(`${d.station}|${d.day.slice(0, 7)}`, [...(months.get(`${d.station}|${d.day.slice(0, 7)}`) ?? []), d]);
  return {
    days,
    months: [...months].map(([key, ds]) => ({
      station: key.split('|')[0]!,
      month: key.split('|')[1]!,
      days: ds.length,
      tempMin: Math.min(...ds.map((d) => d.tempMin)),
      tempMax: Math.max(...ds.map((d) => d.tempMax)),
      tempMean: 0, // compared within 0.05 below: the job rounds its running mean at each day
      precipitation: round(ds.reduce((s, d) => s + d.precipitation, 0), 1),
    })),
  };
}

function assertMatchesReference(t: Tables, what: string): void {
  const ref = reference();
  assertSameMultiset(t.days, ref.days, `${what}: daily rows`);
  const monthsOf = (ms: readonly Month[]) => ms.map(({ tempMean, ...rest }) => ({ ...rest, precipitation: round(rest.precipitation, 1) }));
  assertSameMultiset(monthsOf(t.months), monthsOf(ref.months), `${what}: monthly rows`);
  for (const m of t.months) {
    const ds = ref.days.filter((d) => d.station === m.station && d.day.startsWith(m.month));
    const mean = ds.reduce((s, d) => s + d.tempMean, 0) / ds.length;
    assert.ok(Math.abs(m.tempMean - mean) < 0.05, `${what}: ${m.station} ${m.month} mean ${m.tempMean} vs ${mean}`);
  }
  assert.ok(t.alerts.length > 0, `${what}: the real data has a few anomalous days`);
}

async function runInto(params: WeatherParams, parallelism: number): Promise<void> {
  const handle = await runtime.run(example, { params, parallelism, checkpointIntervalMs: 20 });
  await watchdog(handle.done, `weather at parallelism ${parallelism}`);
}

function sqliteTables(file: string): Tables {
  const db = new Database(file, { readonly: true });
  try {
    return {
      days: db.prepare('SELECT * FROM weather_daily').all() as Day[],
      months: db.prepare('SELECT * FROM weather_monthly').all() as Month[],
      alerts: db.prepare('SELECT * FROM weather_alerts').all() as Anomaly[],
    };
  } finally {
    db.close();
  }
}

const runs: Record<string, Tables> = {};

for (const parallelism of [1, 2]) {
  Weather(`into SQLite at parallelism ${parallelism}: the tables equal the reference`, async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'weir-weather-')), 'weather.db');
    await runInto({ db }, parallelism);
    runs[`sqlite p${parallelism}`] = sqliteTables(db);
    assertMatchesReference(runs[`sqlite p${parallelism}`]!, `sqlite p${parallelism}`);
  });
}

Weather('the alerts do not depend on the parallelism', () => {
  assertSameMultiset(runs['sqlite p2']!.alerts, runs['sqlite p1']!.alerts, 'alerts at p2 vs p1');
});

if (await reachable('weather-example (postgres)', 'postgres')) {
  Weather('into PostgreSQL (--param pg=…): the same tables as SQLite', async () => {
    const url = SERVICES.postgres.url;
    const admin = new pg.Pool({ connectionString: url, max: 1 });
    try {
      await admin.query('DROP TABLE IF EXISTS weather_daily, weather_monthly, weather_alerts');
      await runInto({ pg: url }, 2);
      const rows = async <T>(table: string) => (await admin.query(`SELECT * FROM ${table}`)).rows as T[];
      const tables: Tables = { days: await rows<Day>('weather_daily'), months: await rows<Month>('weather_monthly'), alerts: await rows<Anomaly>('weather_alerts') };
      assertMatchesReference(tables, 'postgres');
      assertSameMultiset(tables.alerts, runs['sqlite p1']!.alerts, 'alerts in PostgreSQL vs SQLite');
    } finally {
      await admin.end();
    }
  });
}

Weather.run();
