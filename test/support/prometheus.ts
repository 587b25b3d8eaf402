/**
 * /metrics as Prometheus reads it: parsed by parse-prometheus-text-format (an independent parser
 * of the text exposition format, compatible with prom2json), with lookups by name and labels.
 *
 * That parser folds every series of a histogram into one sample, dropping their labels (it
 * expects unlabelled histograms). So histogram series are read from a second parse of the same
 * text without the histogram TYPE lines: each `_bucket`, `_sum` and `_count` line then is an
 * untyped sample with all its labels, still parsed (escapes, label syntax) by the package.
 */
import { createRequire } from 'node:module';

export interface Sample {
  labels?: Record<string, string>;
  /** Counters and gauges. */
  value?: string;
  /** Histograms. */
  buckets?: Record<string, string>;
  count?: string;
  sum?: string;
}

export interface Family {
  name: string;
  help: string;
  type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
  metrics: Sample[];
}

// A CommonJS package without type declarations: its one export is the parse function.
const parseText = createRequire(import.meta.url)('parse-prometheus-text-format') as (
  text: string,
) => Family[];

export interface HistogramSeries {
  /** Cumulative counts by upper bound (`le`), `+Inf` included. */
  buckets: Map<string, number>;
  count: number;
  sum: number;
}

export class Scrape {
  readonly families: Family[];
  /** Every histogram line as an untyped sample (see above). */
  private readonly untyped: Family[];
  constructor(readonly text: string) {
    this.families = parseText(text);
    const histograms = new Set(
      this.families.filter((f) => f.type === 'HISTOGRAM').map((f) => f.name),
    );
    this.untyped = parseText(
      text
        .split('\n')
        .filter((l) => !/^# (TYPE|HELP) /.test(l) || !histograms.has(l.split(' ')[2] ?? ''))
        .join('\n'),
    );
  }

  /** One series of a histogram (labels without `le`), or undefined when it has none. */
  histogram(name: string, labels: Record<string, string>): HistogramSeries | undefined {
    const matches = (m: Sample, extra: Record<string, string> = {}) =>
      sameLabels(m.labels ?? {}, { ...labels, ...extra });
    const lines = (suffix: string) =>
      this.untyped.filter((f) => f.name === `${name}${suffix}`).flatMap((f) => f.metrics);
    const count = lines('_count').find((m) => matches(m));
    if (count === undefined) return undefined;
    const buckets = new Map<string, number>();
    for (const m of lines('_bucket')) {
      const le = m.labels?.le;
      if (le !== undefined && matches(m, { le })) buckets.set(le, Number(m.value));
    }
    const sum = lines('_sum').find((m) => matches(m));
    return { buckets, count: Number(count.value), sum: Number(sum?.value) };
  }

  family(name: string): Family | undefined {
    return this.families.find((f) => f.name === name);
  }

  /** The sample of `name` whose labels are exactly `labels`. */
  sample(name: string, labels: Record<string, string> = {}): Sample | undefined {
    return this.family(name)?.metrics.find((m) => sameLabels(m.labels ?? {}, labels));
  }

  /** A counter's or gauge's value (0 when the series does not exist yet). */
  value(name: string, labels: Record<string, string> = {}): number {
    const s = this.sample(name, labels);
    return s?.value === undefined ? 0 : Number(s.value);
  }
}

function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}
