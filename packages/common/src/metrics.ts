/**
 * Counters, gauges and histograms in Prometheus's text format (version 0.0.4), the few
 * a process needs, without a library: metrics are kept by name and label set, and
 * rendered on each scrape. Pure but for the values they are fed.
 */

type Labels = Readonly<Record<string, string>>;

/** Latency buckets in seconds: 100 µs to 10 s. */
export const LATENCY_BUCKETS_SECONDS = Object.freeze([0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10]);
/** Size buckets (writes per batch). */
export const COUNT_BUCKETS = Object.freeze([1, 2, 4, 8, 16, 32, 64, 128, 256]);

interface Series {
  labels: Labels;
  value: number;
  /** Observations in each bucket alone (not cumulative: one increment an observation); summed when rendered. */
  buckets?: number[];
  sum?: number;
}

interface Family {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  bounds?: readonly number[];
  series: Map<string, Series>;
}

export class MetricsRegistry {
  private readonly families = new Map<string, Family>();

  counter(name: string, help: string): (labels?: Labels, by?: number) => void {
    const family = this.family(name, help, 'counter');
    return (labels = {}, by = 1) => void (this.series(family, labels).value += by);
  }

  histogram(name: string, help: string, bounds: readonly number[]): (value: number, labels?: Labels) => void {
    const family = this.family(name, help, 'histogram', bounds);
    return (value, labels = {}) => {
      const series = this.series(family, labels);
      series.value += 1;
      series.sum = (series.sum ?? 0) + value;
      const buckets = (series.buckets ??= bounds.map(() => 0));
      for (let i = 0; i < bounds.length; i += 1) {
        if (value <= bounds[i]!) {
          buckets[i]! += 1;
          return;
        }
      }
    };
  }

  /** Renders the counters and histograms kept, then gauges read now. */
  render(gauges: ReadonlyArray<{ name: string; help: string; values: ReadonlyArray<{ labels?: Labels; value: number }> }> = []): string {
    const lines: string[] = [];
    for (const family of this.families.values()) {
      lines.push(`# HELP ${family.name} ${family.help}`, `# TYPE ${family.name} ${family.type}`);
      for (const series of family.series.values()) {
        if (family.type !== 'histogram') {
          lines.push(`${family.name}${labelText(series.labels)} ${series.value}`);
          continue;
        }
        let cumulative = 0;
        (family.bounds ?? []).forEach((bound, i) => {
          cumulative += series.buckets?.[i] ?? 0;
          lines.push(`${family.name}_bucket${labelText({ ...series.labels, le: String(bound) })} ${cumulative}`);
        });
        lines.push(`${family.name}_bucket${labelText({ ...series.labels, le: '+Inf' })} ${series.value}`);
        lines.push(`${family.name}_sum${labelText(series.labels)} ${series.sum ?? 0}`, `${family.name}_count${labelText(series.labels)} ${series.value}`);
      }
    }
    for (const gauge of gauges) {
      lines.push(`# HELP ${gauge.name} ${gauge.help}`, `# TYPE ${gauge.name} gauge`);
      for (const { labels = {}, value } of gauge.values) lines.push(`${gauge.name}${labelText(labels)} ${value}`);
    }
    return `${lines.join('\n')}\n`;
  }

  private family(name: string, help: string, type: Family['type'], bounds?: readonly number[]): Family {
    const family = this.families.get(name) ?? { name, help, type, ...(bounds ? { bounds } : {}), series: new Map() };
    this.families.set(name, family);
    return family;
  }

  private series(family: Family, labels: Labels): Series {
    // Names and values joined by characters no label holds: cheaper than JSON, which every statement paid.
    let key = '';
    for (const name in labels) key += `${name}\u0000${labels[name]}\u0001`;
    let series = family.series.get(key);
    if (!series) {
      series = { labels, value: 0 };
      family.series.set(key, series);
    }
    return series;
  }
}

function labelText(labels: Labels): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return '';
  return `{${entries.map(([key, value]) => `${key}="${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n')}"`).join(',')}}`;
}
