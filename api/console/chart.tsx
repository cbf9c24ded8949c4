import type { FC } from 'hono/jsx';

export interface Bar {
  label: string;
  value: number;
  /** A second, overlaid value (e.g. durable jobs among jobs). */
  value2?: number;
}

/**
 * A horizontal bar chart in server-rendered SVG, with the numbers written beside the bars and a
 * table for screen readers: no script, no library.
 */
export const BarChart: FC<{ title: string; bars: Bar[]; format?: (n: number) => string; max?: number }> = ({
  title,
  bars,
  format = (n) => n.toLocaleString('fr-FR'),
  max,
}) => {
  if (bars.length === 0) return <p class="meta">Aucune donnée à montrer.</p>;
  const top = max ?? Math.max(...bars.map((b) => b.value), 1);
  const row = 24;
  const labelW = 175;
  const barW = 170;
  const height = bars.length * row + 6;
  return (
    <figure style="margin:0">
      <svg
        class="chart"
        role="img"
        aria-label={title}
        viewBox={`0 0 ${labelW + barW + 70} ${height}`}
        width={labelW + barW + 70}
        height={height}
        style="max-width:100%;height:auto"
      >
        {bars.map((b, i) => {
          const y = i * row + 4;
          const w = Math.max(1, (b.value / top) * barW);
          const w2 = b.value2 === undefined ? 0 : Math.max(0, (b.value2 / top) * barW);
          return (
            <g>
              <text x={labelW - 8} y={y + 15} text-anchor="end">
                {b.label.length > 22 ? `${b.label.slice(0, 21)}…` : b.label}
              </text>
              <rect class="bar" x={labelW} y={y} width={w} height={row - 8} rx="2" />
              {b.value2 !== undefined ? (
                <rect class="bar2" x={labelW} y={y} width={w2} height={row - 8} rx="2" />
              ) : null}
              <text x={labelW + w + 6} y={y + 15}>
                {format(b.value)}
              </text>
            </g>
          );
        })}
      </svg>
      <table class="sr">
        <caption>{title}</caption>
        <tbody>
          {bars.map((b) => (
            <tr>
              <th scope="row">{b.label}</th>
              <td>{format(b.value)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
};
