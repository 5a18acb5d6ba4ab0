// A tiny SVG writer for benchmark charts: grouped horizontal bars on a log scale, so that
// a 1 KB sync and a 30 MB download share one readable axis. No dependencies.

export interface ChartSeries {
  name: string;
  color: string;
}

export interface ChartGroup {
  label: string;
  /** One value per series, in series order; null draws no bar. */
  values: Array<number | null>;
}

export interface BarChart {
  title: string;
  /** Axis caption, e.g. "bytes on the wire (log scale)". */
  unit: string;
  series: ChartSeries[];
  groups: ChartGroup[];
}

const esc = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** Human size for axis ticks and bar ends: 1 KB, 20 MB. */
export function humanBytes(n: number): string {
  if (n < 1024) return `${Math.round(n)} B`;
  if (n < 1024 ** 2) return `${+(n / 1024).toPrecision(3)} KB`;
  if (n < 1024 ** 3) return `${+(n / 1024 ** 2).toPrecision(3)} MB`;
  return `${+(n / 1024 ** 3).toPrecision(3)} GB`;
}

/** Grouped horizontal bars, log10 x axis spanning the decades the data needs. */
export function barChartSvg(c: BarChart): string {
  const present = c.groups.flatMap((g) => g.values.filter((v): v is number => v !== null && v > 0));
  const lo = Math.floor(Math.log10(Math.max(1, Math.min(...present, 1e3))));
  const hi = Math.ceil(Math.log10(Math.max(...present, 10)));
  const labelW = 250;
  const plotW = 620;
  const barH = 7;
  const gap = 12;
  const top = 60 + 16 * Math.ceil(c.series.length / 4);
  const groupH = c.series.length * barH + gap;
  const height = top + c.groups.length * groupH + 40;
  const width = labelW + plotW + 90;
  const x = (v: number) => labelW + ((Math.log10(v) - lo) / (hi - lo)) * plotW;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${esc(c.title)}</text>`,
  );
  c.series.forEach((s, i) => {
    const lx = 20 + (i % 4) * 230;
    const ly = 40 + Math.floor(i / 4) * 16;
    out.push(`<rect x="${lx}" y="${ly - 9}" width="12" height="10" fill="${s.color}"/>`);
    out.push(`<text x="${lx + 16}" y="${ly}">${esc(s.name)}</text>`);
  });
  // Ticks at 1, 10, 100 × 1 B / 1 KB / 1 MB / 1 GB so the labels read as round numbers.
  for (let k = 0; k <= 3; k++) {
    for (const m of [1, 10, 100]) {
      const v = m * 1024 ** k;
      if (Math.log10(v) < lo || Math.log10(v) > hi) continue;
      const gx = x(v).toFixed(1);
      out.push(`<line x1="${gx}" y1="${top - 6}" x2="${gx}" y2="${height - 34}" stroke="#ccc"/>`);
      out.push(`<text x="${gx}" y="${height - 20}" text-anchor="middle">${humanBytes(v)}</text>`);
    }
  }
  out.push(`<text x="${labelW + plotW / 2}" y="${height - 6}" text-anchor="middle">${esc(c.unit)}</text>`);
  c.groups.forEach((g, gi) => {
    const gy = top + gi * groupH;
    out.push(
      `<text x="${labelW - 8}" y="${gy + (c.series.length * barH) / 2 + 4}" text-anchor="end">${esc(g.label)}</text>`,
    );
    g.values.forEach((v, si) => {
      const y = gy + si * barH;
      const color = c.series[si]?.color ?? "#888";
      if (v === null || !(v > 0)) return; // no bar: not applicable or the tool failed

      const w = Math.max(1, x(Math.max(v, 10 ** lo)) - labelW);
      out.push(
        `<rect x="${labelW}" y="${y}" width="${w.toFixed(1)}" height="${barH - 1}" fill="${color}"><title>${esc(`${c.series[si]?.name}: ${v} bytes`)}</title></rect>`,
      );
    });
  });
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}
