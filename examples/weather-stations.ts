/**
 * Writes a CSV of hourly readings of many made-up stations, in the columns of
 * `examples/data/weather.csv`, for running `examples/weather.ts` at scale: rows in time order
 * (every station's reading of an hour, then the next hour), so that the byte-range splits the
 * source reads in parallel each cover a stretch of time.
 *
 *   node --import tsx examples/weather-stations.ts /tmp/stations.csv 500 365   # 500 stations, a year: 4.4M rows
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

/** A deterministic pseudo-random number in [0, 1) from integers (no state: any row can be made alone). */
const noise = (...xs: number[]): number => {
  let h = 2166136261;
  for (const x of xs) h = Math.imul(h ^ x, 16777619) ^ (h >>> 13);
  return ((h >>> 0) % 1_000_000) / 1_000_000;
};

export async function writeStations(path: string, stations: number, days: number): Promise<number> {
  const out = createWriteStream(path);
  out.write('location,date,precipitation,temp_max,temp_min,wind,weather\n');
  const start = Date.UTC(2024, 0, 1);
  let rows = 0;
  for (let hour = 0; hour < days * 24; hour++) {
    const at = new Date(start + hour * 3_600_000).toISOString().slice(0, 16);
    const season = Math.cos(((hour / 24 - 200) / 365) * 2 * Math.PI);
    const daily = Math.cos((((hour % 24) - 15) / 24) * 2 * Math.PI);
    let chunk = '';
    for (let s = 0; s < stations; s++) {
      const base = 5 + (s % 30) + 12 * season + 4 * daily + 6 * (noise(s, hour) - 0.5);
      // Now and then a station has a day far off its usual: what the alerts look for.
      const heat = noise(s, Math.floor(hour / 24), 7) < 0.002 ? 15 : 0;
      const rain = noise(s, hour, 3) < 0.1 ? Math.round(noise(s, hour, 5) * 40) / 10 : 0;
      const t = base + heat;
      chunk += `station-${s},${at},${rain},${(t + 1).toFixed(1)},${(t - 1).toFixed(1)},${(noise(s, hour, 9) * 8).toFixed(1)},${rain > 0 ? 'rain' : 'sun'}\n`;
      rows++;
    }
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [path = 'stations.csv', stations = '100', days = '90'] = process.argv.slice(2);
  const rows = await writeStations(path, Number(stations), Number(days));
  console.log(`${path}: ${rows} readings of ${stations} stations over ${days} days`);
}
