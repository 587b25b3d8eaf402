/**
 * The Login Audit Trail chart: failures per detail code over time, as stacked bars. Computed
 * here and drawn by the template as plain SVG elements (no script, no inline styles: colours
 * come from CSS classes), so it renders under the strict CSP and without JavaScript.
 */
import type { AuditEvent } from '../../domain/audit.ts';

export const WIDTH = 960;
export const HEIGHT = 220;
const LEFT = 40;
const RIGHT = 10;
const TOP = 10;
const BOTTOM = 28;
const PALETTE = 8;

export interface ChartSegment {
  y: number;
  height: number;
  cls: string;
  title: string;
}

export interface Chart {
  width: number;
  height: number;
  plot: { left: number; right: number; top: number; bottom: number };
  bars: { x: number; width: number; segments: ChartSegment[] }[];
  yTicks: { y: number; label: string }[];
  xLabels: { x: number; label: string; anchor: 'start' | 'middle' | 'end' }[];
  legend: { code: string; cls: string; count: number }[];
  total: number;
}

const pad = (n: number): string => String(n).padStart(2, '0');

function label(ms: number, span: number): string {
  const d = new Date(ms);
  const day = `${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
  return span > 2 * 86_400_000 ? day : span > 86_400_000 ? `${day} ${time}` : time;
}

/** Failures in [from, to) split into `buckets` equal intervals, stacked by detail code. */
export function failureChart(
  events: readonly AuditEvent[],
  from: number,
  to: number,
  buckets = 24,
): Chart {
  const span = Math.max(to - from, 1);
  const step = span / buckets;
  const counts = new Map<string, number[]>();
  let total = 0;
  for (const e of events) {
    if (e.result !== 'failure' || e.at < from || e.at >= to) continue;
    const code = e.detail ?? 'Unknown';
    let row = counts.get(code);
    if (!row) {
      row = new Array<number>(buckets).fill(0);
      counts.set(code, row);
    }
    const i = Math.min(buckets - 1, Math.floor((e.at - from) / step));
    // A folded row stands for `count` identical failures.
    row[i] = (row[i] ?? 0) + (e.count ?? 1);
    total += e.count ?? 1;
  }
  // Most frequent code first, so the legend reads as a ranking and colours stay stable per view.
  const codes = [...counts.entries()]
    .map(([code, row]) => ({ code, row, count: row.reduce((a, b) => a + b, 0) }))
    .sort((a, b) => b.count - a.count || a.code.localeCompare(b.code));
  const legend = codes.map((c, i) => ({ code: c.code, cls: `c${i % PALETTE}`, count: c.count }));

  const plotW = WIDTH - LEFT - RIGHT;
  const plotH = HEIGHT - TOP - BOTTOM;
  let max = 0;
  for (let i = 0; i < buckets; i++) {
    max = Math.max(
      max,
      codes.reduce((a, c) => a + (c.row[i] ?? 0), 0),
    );
  }
  const top = Math.max(1, max);
  const barW = plotW / buckets;
  const bars = [];
  for (let i = 0; i < buckets; i++) {
    let y = TOP + plotH;
    const segments: ChartSegment[] = [];
    codes.forEach((c, k) => {
      const n = c.row[i] ?? 0;
      if (n === 0) return;
      const h = (n / top) * plotH;
      y -= h;
      segments.push({
        y: round(y),
        height: round(h),
        cls: `c${k % PALETTE}`,
        title: `${c.code}: ${n} (${label(from + i * step, span)})`,
      });
    });
    bars.push({ x: round(LEFT + i * barW + barW * 0.12), width: round(barW * 0.76), segments });
  }
  const yTicks = [0, Math.ceil(top / 2), top]
    .filter((v, i, a) => a.indexOf(v) === i)
    .map((v) => ({ y: round(TOP + plotH - (v / top) * plotH), label: String(v) }));
  const xLabels: Chart['xLabels'] = [];
  for (let i = 0; i <= buckets; i += Math.max(1, Math.floor(buckets / 6))) {
    // The last label ends at the plot's edge instead of running past it.
    const anchor = i === 0 ? 'start' : i === buckets ? 'end' : 'middle';
    xLabels.push({ x: round(LEFT + i * barW), label: label(from + i * step, span), anchor });
  }
  return {
    width: WIDTH,
    height: HEIGHT,
    plot: { left: LEFT, right: WIDTH - RIGHT, top: TOP, bottom: TOP + plotH },
    bars,
    yTicks,
    xLabels,
    legend,
    total,
  };
}

const round = (n: number): number => Math.round(n * 10) / 10;
