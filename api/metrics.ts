/** A small Prometheus registry: counters and a latency histogram, no personal data in labels. */
export class Metrics {
  private readonly counters = new Map<string, number>();
  private readonly buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
  private readonly histo = new Map<string, { counts: number[]; sum: number; count: number }>();

  inc(name: string, labels: Record<string, string>, by = 1): void {
    const key = `${name}${fmt(labels)}`;
    this.counters.set(key, (this.counters.get(key) ?? 0) + by);
  }

  observe(name: string, labels: Record<string, string>, seconds: number): void {
    const key = `${name}|${fmt(labels)}`;
    const h = this.histo.get(key) ?? { counts: this.buckets.map(() => 0), sum: 0, count: 0 };
    this.buckets.forEach((b, i) => {
      if (seconds <= b) h.counts[i] = (h.counts[i] ?? 0) + 1;
    });
    h.sum += seconds;
    h.count++;
    this.histo.set(key, h);
  }

  render(): string {
    const lines: string[] = [];
    for (const [key, value] of this.counters) lines.push(`${key} ${value}`);
    for (const [key, h] of this.histo) {
      const [name, labels = ''] = key.split('|');
      const inner = labels.slice(1, -1);
      const sep = inner ? ',' : '';
      this.buckets.forEach((b, i) => lines.push(`${name}_bucket{${inner}${sep}le="${b}"} ${h.counts[i]}`));
      lines.push(`${name}_bucket{${inner}${sep}le="+Inf"} ${h.count}`);
      lines.push(`${name}_sum${labels} ${h.sum}`);
      lines.push(`${name}_count${labels} ${h.count}`);
    }
    return `${lines.sort().join('\n')}\n`;
  }
}

function fmt(labels: Record<string, string>): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, '_')}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}
