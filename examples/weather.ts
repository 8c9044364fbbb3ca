/**
 * Weather: real observations into a database. Reads a CSV of daily readings per station (by default
 * `examples/data/weather.csv`: Seattle and New York, 2012–2015, from NOAA via the vega-datasets
 * package), and keyed by station computes
 * - `weather_daily`: each day's minimum, maximum and mean temperature and its precipitation
 *   (tumbling windows of a day, in event time: one reading a day in the real data, 24 in the
 *   generated one);
 * - `weather_monthly`: the same per calendar month, folded from the days as they close and
 *   upserted by (station, month), so the table holds each month's figures so far;
 * - `weather_alerts`: a day whose maximum is more than `sigmas` standard deviations from the
 *   station's recent days (an exponentially weighted mean over about a month).
 * Rows go to SQLite (`weather.db`, nothing to install) or, with `--param pg=postgres://…`, to
 * PostgreSQL; both commit once per checkpoint, exactly once.
 *
 *   npx weir run examples/weather.ts
 *   npx weir run examples/weather.ts --param pg=postgres://postgres@127.0.0.1:5432/test
 *   node --import tsx examples/weather-stations.ts /tmp/stations.csv 500 365 && npx weir run examples/weather.ts --param path=/tmp/stations.csv
 */
import { fileURLToPath } from 'node:url';
import { job, OutputTag, sinks, sources, state, windows, type KeyedProcessDefinition, type Sink, type StateDescriptor, type ValueState } from 'weir';

export interface WeatherParams {
  /** The CSV of readings: location, date, precipitation, temp_max, temp_min, wind, weather (and optionally hour). */
  path?: string;
  /** The SQLite file (default weather.db in the working directory). */
  db?: string;
  /** A PostgreSQL URL: the tables go there instead of SQLite. */
  pg?: string;
  /** How far from the recent days a daily maximum must be to raise an alert (default 3). */
  sigmas?: number;
}

export const DEFAULT_PATH = fileURLToPath(new URL('./data/weather.csv', import.meta.url));

export interface Day {
  station: string;
  /** YYYY-MM-DD (UTC). */
  day: string;
  readings: number;
  tempMin: number;
  tempMax: number;
  tempMean: number;
  precipitation: number;
}

export interface Month {
  station: string;
  /** YYYY-MM. */
  month: string;
  days: number;
  tempMin: number;
  tempMax: number;
  /** The mean of the days' means. */
  tempMean: number;
  precipitation: number;
}

export interface Anomaly {
  station: string;
  day: string;
  tempMax: number;
  mean: number;
  sigma: number;
  z: number;
}

export const ALERTS = new OutputTag<Anomaly>('anomalies');

/** The recent mean and variance of a station's daily maxima are weighted over about this many days. */
const SPAN = 30;
const WARMUP = 30;
const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

interface Recent {
  n: number;
  mean: number;
  variance: number;
}

/** Compares each day's maximum with the station's recent days, then adds it (days come in order per station: windows fire in order). */
const anomalies = (sigmas: number): KeyedProcessDefinition<Day, string, { recent: StateDescriptor<ValueState<Recent | undefined>> }, Day> => ({
  state: { recent: state.value<Recent>() },
  process(day, ctx, out) {
    const r = ctx.state.recent.value() ?? { n: 0, mean: 0, variance: 0 };
    const sigma = Math.sqrt(r.variance);
    if (r.n >= WARMUP && sigma > 0 && Math.abs(day.tempMax - r.mean) > sigmas * sigma) {
      ctx.output(ALERTS, { station: day.station, day: day.day, tempMax: day.tempMax, mean: round(r.mean), sigma: round(sigma), z: round((day.tempMax - r.mean) / sigma, 1) });
    }
    const alpha = 2 / (SPAN + 1);
    if (r.n === 0) r.mean = day.tempMax;
    else {
      const d = day.tempMax - r.mean;
      r.mean += alpha * d;
      r.variance = (1 - alpha) * (r.variance + alpha * d * d);
    }
    r.n++;
    ctx.state.recent.update(r);
    out.collect(day);
  },
});

/** Where a table goes: PostgreSQL when a URL is given, else the SQLite file. */
function table<T extends object>(p: WeatherParams, name: string, key?: (keyof T & string)[]): Sink<T> {
  const options = { table: name, createTable: true, ...(key ? { key } : {}) };
  return p.pg ? sinks.postgres<T>({ url: p.pg, ...options }) : sinks.sqlite<T>(p.db ?? 'weather.db', options);
}

export default job('weather', (env, params: WeatherParams | undefined) => {
  const p = params ?? {};
  const readings = env
    .from(
      sources.csv(p.path ?? DEFAULT_PATH, {
        schema: { location: 'string', date: 'string', precipitation: 'number', temp_max: 'number', temp_min: 'number', wind: 'number', weather: 'string' },
      }),
    )
    .name('readings')
    .map((r) => ({ station: r.location, ts: Date.parse(r.date), precipitation: r.precipitation, tempMax: r.temp_max, tempMin: r.temp_min }))
    .name('reading')
    .withTimestamps((r) => r.ts, { maxOutOfOrderMs: 3_600_000 })
    .name('event time');

  const days = readings
    .keyBy((r) => r.station)
    .window(windows.tumbling({ days: 1 }))
    .aggregate({
      create: () => ({ n: 0, min: Infinity, max: -Infinity, sum: 0, precipitation: 0 }),
      add: (a, r) => ({ n: a.n + 1, min: Math.min(a.min, r.tempMin), max: Math.max(a.max, r.tempMax), sum: a.sum + (r.tempMin + r.tempMax) / 2, precipitation: a.precipitation + r.precipitation }),
      result: (a, station, w): Day => ({
        station,
        day: new Date(w.start).toISOString().slice(0, 10),
        readings: a.n,
        tempMin: a.min,
        tempMax: a.max,
        tempMean: round(a.sum / a.n),
        precipitation: round(a.precipitation, 1),
      }),
    })
    .name('daily');

  const checked = days.keyBy((d) => d.station).process(anomalies(p.sigmas ?? 3)).name('anomalies');
  checked.to(table<Day>(p, 'weather_daily', ['station', 'day'])).name('weather_daily');
  checked.sideOutput(ALERTS).to(table<Anomaly>(p, 'weather_alerts', ['station', 'day'])).name('weather_alerts');

  checked
    .map((d): Month => ({ station: d.station, month: d.day.slice(0, 7), days: 1, tempMin: d.tempMin, tempMax: d.tempMax, tempMean: d.tempMean, precipitation: d.precipitation }))
    .name('month of the day')
    .keyBy((m) => `${m.station}|${m.month}`)
    .reduce((a, b) => ({
      station: a.station,
      month: a.month,
      days: a.days + b.days,
      tempMin: Math.min(a.tempMin, b.tempMin),
      tempMax: Math.max(a.tempMax, b.tempMax),
      tempMean: round((a.tempMean * a.days + b.tempMean * b.days) / (a.days + b.days)),
      precipitation: round(a.precipitation + b.precipitation, 1),
    }))
    .name('monthly')
    .to(table<Month>(p, 'weather_monthly', ['station', 'month']))
    .name('weather_monthly');
});
