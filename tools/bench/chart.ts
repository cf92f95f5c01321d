/**
 * A line chart as a standalone SVG string, for the benchmark's figures: no library, no fonts to embed, so
 * the file renders the same in a browser, on GitHub and through rsvg-convert.
 *
 *   writeFileSync('bench.svg', lineChartSvg({ title, xLabel: 'images', yLabel: 'seconds', series, target: { y: 15, label: '15 s budget' } }))
 *
 * Axes get round ticks (1, 2 or 5 × 10^k) that cover every point and the target; each point is labelled with
 * its value, and labels are nudged off each other and off the markers so close series stay readable.
 */

export interface Series {
  name: string;
  points: { x: number; y: number }[];
}

export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** A dashed horizontal line, e.g. a time budget. */
  target?: { y: number; label: string };
}

// Okabe–Ito: told apart with the common colour-vision deficiencies; the marker shapes differ as well.
export const COLOURS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000'];
const MARKERS = ['circle', 'square', 'triangle', 'diamond'] as const;
const TARGET_COLOUR = '#B2182B';

const WIDTH = 820;
const HEIGHT = 500;
const FONT = 'DejaVu Sans, Helvetica, Arial, sans-serif';
const LABEL_SIZE = 11;

/** Estimated width of a text: DejaVu Sans, the widest of the fonts above, advances digits by 0.64 em. */
export function textWidth(text: string, size: number, bold = false): number {
  return text.length * size * (bold ? 0.7 : 0.64);
}

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** The "nice" number nearest to `value`: 1, 2 or 5 times a power of ten. */
function niceNumber(value: number): number {
  const exponent = Math.floor(Math.log10(value));
  const fraction = value / 10 ** exponent;
  const nice = fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10;
  return nice * 10 ** exponent;
}

/** Decimals a step needs to be printed exactly (0.25 → 2, 5 → 0). */
export function decimalsOf(step: number): number {
  for (let decimals = 0; decimals < 12; decimals++) {
    if (Math.abs(Number(step.toFixed(decimals)) - step) < step * 1e-9) return decimals;
  }
  return 12;
}

export interface Ticks {
  min: number;
  max: number;
  step: number;
  values: number[];
}

/** Round tick values, about `count` of them, from at or below `min` to at or above `max`. */
export function niceTicks(min: number, max: number, count = 6): Ticks {
  if (!Number.isFinite(min) || !Number.isFinite(max)) throw new Error(`ticks need finite bounds, got ${min} and ${max}`);
  if (min > max) [min, max] = [max, min];
  if (min === max) {
    // One value: a range around it, from zero when it is positive.
    const pad = Math.abs(min) / 2;
    [min, max] = min === 0 ? [0, 1] : min > 0 ? [0, min + pad] : [min - pad, max + pad];
  }
  // The step nearest to an even split of the data's own range: the axis overshoots the data by less than a step.
  const step = niceNumber((max - min) / Math.max(1, count - 1));
  const decimals = decimalsOf(step);
  const lo = Math.floor(min / step + 1e-9) * step;
  const hi = Math.ceil(max / step - 1e-9) * step;
  const values: number[] = [];
  for (let i = 0; lo + i * step <= hi + step * 1e-9; i++) values.push(Number((lo + i * step).toFixed(decimals)));
  return { min: values[0], max: values[values.length - 1], step, values };
}

/** Maps [d0, d1] onto [r0, r1] linearly (r1 < r0 for an upward y axis). */
export function linearScale(domain: [number, number], range: [number, number]): (value: number) => number {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const span = d1 - d0 || 1;
  return (value) => r0 + ((value - d0) / span) * (r1 - r0);
}

/** A data value for a label: up to three significant digits, never exponent notation, thousands grouped. */
export function formatValue(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 1000) return Math.round(value).toLocaleString('en-US');
  const decimals = Math.max(0, 2 - Math.floor(Math.log10(abs)));
  return String(Number(value.toFixed(Math.min(decimals, 6))));
}

function formatTick(value: number, step: number): string {
  const text = value.toFixed(decimalsOf(step));
  return Math.abs(value) >= 1000 && decimalsOf(step) === 0 ? Math.round(value).toLocaleString('en-US') : text;
}

interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

function overlaps(a: Box, b: Box): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

function fmt(n: number): string {
  return String(Math.round(n * 10) / 10);
}

function marker(shape: (typeof MARKERS)[number], x: number, y: number, colour: string): string {
  const common = `fill="${colour}" stroke="#ffffff" stroke-width="1.2"`;
  switch (shape) {
    case 'circle':
      return `<circle cx="${fmt(x)}" cy="${fmt(y)}" r="4.2" ${common}/>`;
    case 'square':
      return `<rect x="${fmt(x - 3.8)}" y="${fmt(y - 3.8)}" width="7.6" height="7.6" ${common}/>`;
    case 'triangle':
      return `<path d="M${fmt(x)} ${fmt(y - 5)}L${fmt(x + 4.6)} ${fmt(y + 3.4)}L${fmt(x - 4.6)} ${fmt(y + 3.4)}Z" ${common}/>`;
    case 'diamond':
      return `<path d="M${fmt(x)} ${fmt(y - 5)}L${fmt(x + 5)} ${fmt(y)}L${fmt(x)} ${fmt(y + 5)}L${fmt(x - 5)} ${fmt(y)}Z" ${common}/>`;
  }
}

interface LabelSpec {
  /** The point labelled, in pixels. */
  px: number;
  py: number;
  text: string;
  colour: string;
  w: number;
  h: number;
}

interface Obstacles {
  /** Already placed: nothing may cover them. */
  fixed: Box[];
  markers: Box[];
  /** Small boxes along the polylines. */
  lines: Box[];
  inside: (box: Box) => boolean;
}

/** Places around the point, nearest first: above, below, beside, diagonal, then the same further out. */
function candidatesFor(label: LabelSpec): Box[] {
  const { px, py, w, h } = label;
  const out: Box[] = [];
  for (const d of [0, 8, 18, 30, 44]) {
    out.push({ x: px - w / 2, y: py - 8 - h - d, w, h }, { x: px - w / 2, y: py + 8 + d, w, h });
    out.push({ x: px + 8 + d, y: py - h / 2, w, h }, { x: px - 8 - w - d, y: py - h / 2, w, h });
    out.push({ x: px + 4 + d, y: py - 6 - h - d, w, h }, { x: px - 4 - w - d, y: py - 6 - h - d, w, h });
    out.push({ x: px + 4 + d, y: py + 6 + d, w, h }, { x: px - 4 - w - d, y: py + 6 + d, w, h });
  }
  return out;
}

/**
 * A box per label: the candidate place that covers the least (another label worst, then a marker, then a
 * line, which the labels' white halo keeps readable) and is nearest its point. Placed greedily, then each
 * label is reconsidered a few times against all the others, so an early label does not keep a spot that a
 * crowded later one needs more.
 */
export function placeLabels(labels: LabelSpec[], obstacles: Obstacles): Box[] {
  const candidates = labels.map(candidatesFor);
  const placed: (Box | undefined)[] = labels.map(() => undefined);
  const cost = (i: number, b: Box): number => {
    const others = placed.filter((p, j): p is Box => j !== i && p !== undefined);
    return (
      (obstacles.inside(b) ? 0 : 1e6) +
      1000 * (obstacles.fixed.filter((t) => overlaps(b, t)).length + others.filter((t) => overlaps(b, t)).length) +
      200 * obstacles.markers.filter((m) => overlaps(b, m)).length +
      6 * obstacles.lines.filter((l) => overlaps(b, l)).length +
      1.5 * Math.hypot(b.x + b.w / 2 - labels[i].px, b.y + b.h / 2 - labels[i].py)
    );
  };
  const choose = (i: number): void => {
    let best = Infinity;
    for (const candidate of candidates[i]) {
      const c = cost(i, candidate);
      if (c < best) [best, placed[i]] = [c, candidate];
    }
  };
  for (let i = 0; i < labels.length; i++) choose(i);
  for (let round = 0; round < 3; round++) for (let i = 0; i < labels.length; i++) choose(i);
  return placed as Box[];
}

export function lineChartSvg(opts: LineChartOptions): string {
  const series = opts.series.map((s) => ({
    ...s,
    points: s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y)).sort((a, b) => a.x - b.x),
  }));
  const points = series.flatMap((s) => s.points);
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  if (opts.target) ys.push(opts.target.y);

  // Times and counts read best from zero; negative data still gets its own range.
  const xTicks = niceTicks(xs.length ? Math.min(0, ...xs) : 0, xs.length ? Math.max(...xs) : 1, 6);
  const yTicks = niceTicks(ys.length ? Math.min(0, ...ys) : 0, ys.length ? Math.max(...ys) : 1, 6);

  const legendNames = [...series.map((s) => s.name), ...(opts.target ? [opts.target.label] : [])];
  const legendWidth = Math.max(110, Math.min(320, 36 + Math.max(0, ...legendNames.map((name) => textWidth(name, 12)))));
  const yTickWidth = Math.max(...yTicks.values.map((v) => textWidth(formatTick(v, yTicks.step), 12)));
  const plot = { left: 44 + yTickWidth, top: 62, right: WIDTH - legendWidth - 24, bottom: HEIGHT - 64 };
  const x = linearScale([xTicks.min, xTicks.max], [plot.left, plot.right]);
  const y = linearScale([yTicks.min, yTicks.max], [plot.bottom, plot.top]);

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${escapeXml(opts.title)}" font-family="${FONT}">`,
  );
  out.push(`<title>${escapeXml(opts.title)}</title>`);
  out.push(`<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`);
  out.push(
    `<text x="${fmt((plot.left + plot.right) / 2)}" y="30" text-anchor="middle" font-size="18" font-weight="bold" fill="#222222">${escapeXml(opts.title)}</text>`,
  );

  // Gridlines and ticks.
  out.push('<g stroke="#e3e3e3" stroke-width="1">');
  for (const v of yTicks.values) out.push(`<line x1="${fmt(plot.left)}" y1="${fmt(y(v))}" x2="${fmt(plot.right)}" y2="${fmt(y(v))}"/>`);
  for (const v of xTicks.values) out.push(`<line x1="${fmt(x(v))}" y1="${fmt(plot.top)}" x2="${fmt(x(v))}" y2="${fmt(plot.bottom)}"/>`);
  out.push('</g>');
  out.push(`<g font-size="12" fill="#444444">`);
  for (const v of yTicks.values)
    out.push(`<text x="${fmt(plot.left - 8)}" y="${fmt(y(v) + 4)}" text-anchor="end">${formatTick(v, yTicks.step)}</text>`);
  for (const v of xTicks.values)
    out.push(`<text x="${fmt(x(v))}" y="${fmt(plot.bottom + 18)}" text-anchor="middle">${formatTick(v, xTicks.step)}</text>`);
  out.push('</g>');
  // Axes: the x axis sits on zero when zero is in range.
  const xAxisY = yTicks.min <= 0 && yTicks.max >= 0 ? y(0) : plot.bottom;
  out.push(
    `<g stroke="#333333" stroke-width="1.2"><line x1="${fmt(plot.left)}" y1="${fmt(xAxisY)}" x2="${fmt(plot.right)}" y2="${fmt(xAxisY)}"/><line x1="${fmt(plot.left)}" y1="${fmt(plot.top)}" x2="${fmt(plot.left)}" y2="${fmt(plot.bottom)}"/></g>`,
  );
  out.push(
    `<text x="${fmt((plot.left + plot.right) / 2)}" y="${HEIGHT - 18}" text-anchor="middle" font-size="13" fill="#222222">${escapeXml(opts.xLabel)}</text>`,
  );
  const yLabelX = 18;
  const yLabelY = (plot.top + plot.bottom) / 2;
  out.push(
    `<text x="${yLabelX}" y="${fmt(yLabelY)}" text-anchor="middle" font-size="13" fill="#222222" transform="rotate(-90 ${yLabelX} ${fmt(yLabelY)})">${escapeXml(opts.yLabel)}</text>`,
  );

  // What value labels should keep off: markers, lines (sampled every few pixels) and other labels.
  const markers: Box[] = points.map((p) => ({ x: x(p.x) - 5, y: y(p.y) - 5, w: 10, h: 10 }));
  const lines: Box[] = [];
  for (const s of series) {
    for (let i = 1; i < s.points.length; i++) {
      const [x0, y0, x1, y1] = [x(s.points[i - 1].x), y(s.points[i - 1].y), x(s.points[i].x), y(s.points[i].y)];
      const steps = Math.ceil(Math.hypot(x1 - x0, y1 - y0) / 4);
      for (let k = 0; k <= steps; k++)
        lines.push({ x: x0 + ((x1 - x0) * k) / steps - 1.5, y: y0 + ((y1 - y0) * k) / steps - 1.5, w: 3, h: 3 });
    }
  }
  const taken: Box[] = [];
  if (opts.target) {
    const ty = y(opts.target.y);
    out.push(
      `<line x1="${fmt(plot.left)}" y1="${fmt(ty)}" x2="${fmt(plot.right)}" y2="${fmt(ty)}" stroke="${TARGET_COLOUR}" stroke-width="1.6" stroke-dasharray="7 5"/>`,
    );
    const width = textWidth(opts.target.label, 12, true);
    // Above the line at the right end, or below it when the plot's top is in the way.
    const above = ty - 6 - 12 >= plot.top;
    const box = { x: plot.right - 4 - width, y: above ? ty - 6 - 12 : ty + 4, w: width, h: 14 };
    taken.push(box);
    out.push(
      `<text x="${fmt(plot.right - 4)}" y="${fmt(box.y + 11)}" text-anchor="end" font-size="12" font-weight="bold" fill="${TARGET_COLOUR}">${escapeXml(opts.target.label)}</text>`,
    );
  }

  const wanted: LabelSpec[] = [];
  series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length];
    const shape = MARKERS[i % MARKERS.length];
    if (s.points.length > 1) {
      out.push(
        `<polyline fill="none" stroke="${colour}" stroke-width="2.4" stroke-linejoin="round" stroke-linecap="round" points="${s.points.map((p) => `${fmt(x(p.x))},${fmt(y(p.y))}`).join(' ')}"/>`,
      );
    }
    for (const p of s.points) out.push(marker(shape, x(p.x), y(p.y), colour));
    for (const p of s.points) {
      const text = formatValue(p.y);
      wanted.push({ px: x(p.x), py: y(p.y), text, colour, w: textWidth(text, LABEL_SIZE) + 2, h: LABEL_SIZE + 2 });
    }
  });
  const inside = (b: Box): boolean =>
    b.x >= plot.left + 2 && b.x + b.w <= plot.right + 16 && b.y >= plot.top - 14 && b.y + b.h <= plot.bottom - 2;
  const placed = placeLabels(wanted, { fixed: taken, markers, lines, inside });
  const labels: string[] = [];
  wanted.forEach((label, i) => {
    const box = placed[i];
    // A label pushed away from its point gets a thin leader back to it.
    const cx = Math.min(Math.max(label.px, box.x), box.x + box.w);
    const cy = Math.min(Math.max(label.py, box.y), box.y + box.h);
    const length = Math.hypot(cx - label.px, cy - label.py);
    if (length > 14) {
      const sx = label.px + ((cx - label.px) * 6) / length;
      const sy = label.py + ((cy - label.py) * 6) / length;
      labels.push(
        `<line x1="${fmt(sx)}" y1="${fmt(sy)}" x2="${fmt(cx)}" y2="${fmt(cy)}" stroke="${label.colour}" stroke-width="0.8" opacity="0.7"/>`,
      );
    }
    labels.push(
      `<text x="${fmt(box.x + box.w / 2)}" y="${fmt(box.y + label.h - 3)}" text-anchor="middle" font-size="${LABEL_SIZE}" fill="${label.colour}" stroke="#ffffff" stroke-width="3" paint-order="stroke">${escapeXml(label.text)}</text>`,
    );
  });
  out.push(`<g>${labels.join('')}</g>`);

  // Legend, right of the plot.
  const legendX = plot.right + 22;
  series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length];
    const ly = plot.top + 8 + i * 22;
    out.push(`<line x1="${legendX}" y1="${ly}" x2="${legendX + 24}" y2="${ly}" stroke="${colour}" stroke-width="2.4"/>`);
    out.push(marker(MARKERS[i % MARKERS.length], legendX + 12, ly, colour));
    out.push(`<text x="${legendX + 32}" y="${ly + 4}" font-size="12" fill="#222222">${escapeXml(s.name)}</text>`);
  });
  if (opts.target) {
    const ly = plot.top + 8 + series.length * 22;
    out.push(
      `<line x1="${legendX}" y1="${ly}" x2="${legendX + 24}" y2="${ly}" stroke="${TARGET_COLOUR}" stroke-width="1.6" stroke-dasharray="7 5"/>`,
    );
    out.push(`<text x="${legendX + 32}" y="${ly + 4}" font-size="12" fill="#222222">${escapeXml(opts.target.label)}</text>`);
  }

  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
