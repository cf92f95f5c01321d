import { COLOURS, decimalsOf, escapeXml, formatValue, lineChartSvg, linearScale, niceTicks, type Series } from './chart';

/** Throws unless `xml` is one well-formed element: balanced tags, quoted attributes, escaped text. */
function assertWellFormed(xml: string): void {
  const stack: string[] = [];
  let roots = 0;
  const entity = /&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g;
  const checkText = (text: string, where: string): void => {
    if (/[<>]/.test(text) || /&/.test(text.replace(entity, ''))) throw new Error(`unescaped text ${where}: ${text.slice(0, 60)}`);
  };
  for (const token of xml.trim().match(/<[^>]*>|[^<]+/g) ?? []) {
    if (!token.startsWith('<')) {
      if (!stack.length && token.trim()) throw new Error(`text outside the root: ${token.slice(0, 40)}`);
      checkText(token, 'in content');
      continue;
    }
    const tag = /^<(\/?)([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+="[^"]*")*)\s*(\/?)>$/.exec(token);
    if (!tag) throw new Error(`malformed tag: ${token.slice(0, 80)}`);
    const [, closing, name, attributes, selfClosing] = tag;
    for (const [, value] of attributes.matchAll(/="([^"]*)"/g)) checkText(value, `in an attribute of <${name}>`);
    const names = [...attributes.matchAll(/([\w:.-]+)="/g)].map((m) => m[1]);
    if (new Set(names).size !== names.length) throw new Error(`repeated attribute in ${token.slice(0, 80)}`);
    if (closing) {
      if (stack.pop() !== name) throw new Error(`</${name}> closes nothing open`);
    } else if (!selfClosing) {
      if (!stack.length) roots++;
      stack.push(name);
    } else if (!stack.length) roots++;
  }
  if (stack.length) throw new Error(`unclosed: ${stack.join(', ')}`);
  if (roots !== 1) throw new Error(`${roots} root elements`);
}

const attr = (tag: string, name: string): number => Number(new RegExp(`\\s${name}="([^"]*)"`).exec(tag)?.[1]);

describe('niceTicks', () => {
  it.each<[number, number, number[]]>([
    [0, 10.42, [0, 2, 4, 6, 8, 10, 12]],
    [0, 1, [0, 0.2, 0.4, 0.6, 0.8, 1]],
    [1, 200, [0, 50, 100, 150, 200]],
    [0, 15, [0, 5, 10, 15]],
    [0.0013, 0.0087, [0.001, 0.002, 0.003, 0.004, 0.005, 0.006, 0.007, 0.008, 0.009]],
    [-3, 7, [-4, -2, 0, 2, 4, 6, 8]],
    [0, 579_173_350, [0, 100_000_000, 200_000_000, 300_000_000, 400_000_000, 500_000_000, 600_000_000]],
  ])('%p..%p', (min, max, expected) => {
    expect(niceTicks(min, max).values).toEqual(expected);
  });

  it('gives a range for a single value or none', () => {
    expect(niceTicks(0, 0).values).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    const one = niceTicks(5, 5);
    expect(one.min).toBe(0);
    expect(one.max).toBeGreaterThanOrEqual(5);
    const negative = niceTicks(-4, -4);
    expect(negative.min).toBeLessThanOrEqual(-4);
    expect(negative.max).toBeGreaterThanOrEqual(-4);
  });

  it('covers any range with 1, 2 or 5 × 10^k steps and values without float noise', () => {
    let seed = 7;
    const random = (): number => (seed = (seed * 16807) % 2147483647) / 2147483647;
    for (let i = 0; i < 2000; i++) {
      const scale = 10 ** Math.floor(random() * 12 - 6);
      const a = (random() - 0.3) * 100 * scale;
      const b = a + random() * 100 * scale;
      const ticks = niceTicks(a, b);
      expect(ticks.min).toBeLessThanOrEqual(a);
      expect(ticks.max).toBeGreaterThanOrEqual(b);
      expect(ticks.values.length).toBeGreaterThanOrEqual(3);
      expect(ticks.values.length).toBeLessThanOrEqual(12);
      const mantissa = ticks.step / 10 ** Math.floor(Math.log10(ticks.step) + 1e-9);
      expect([1, 2, 5].some((m) => Math.abs(mantissa - m) < 1e-6)).toBe(true);
      // No 0.30000000000000004: a value has no more decimals than its step.
      const decimals = decimalsOf(ticks.step);
      for (const v of ticks.values)
        if (!String(v).includes('e')) expect((String(v).split('.')[1] ?? '').length).toBeLessThanOrEqual(decimals);
    }
  });

  it('knows how many decimals a step needs', () => {
    expect([5, 0.5, 0.25, 0.002, 100].map(decimalsOf)).toEqual([0, 1, 2, 3, 0]);
  });
});

describe('linearScale', () => {
  it('maps the domain ends onto the range ends, and an upward axis inverted', () => {
    const x = linearScale([0, 200], [60, 560]);
    expect([x(0), x(100), x(200)]).toEqual([60, 310, 560]);
    const y = linearScale([0, 15], [436, 62]);
    expect(y(0)).toBe(436);
    expect(y(15)).toBe(62);
    expect(y(7.5)).toBe(249);
  });
});

describe('formatValue', () => {
  it.each([
    [10.4231, '10.4'],
    [0.40213, '0.402'],
    [1.5, '1.5'],
    [0, '0'],
    [200, '200'],
    [0.0001234, '0.000123'],
    [579173350, '579,173,350'],
    [-2.345, '-2.35'],
  ])('%p → %p', (value, text) => {
    expect(formatValue(value)).toBe(text);
  });
});

describe('lineChartSvg', () => {
  const series: Series[] = [
    {
      name: 'seed <catalog> & co',
      points: [
        { x: 200, y: 10.42 },
        { x: 1, y: 0.4 },
        { x: 50, y: 2.9 },
      ],
    },
    {
      name: "ours 'nx'",
      points: [
        { x: 1, y: 1.3 },
        { x: 50, y: 1.45 },
        { x: 200, y: 1.9 },
      ],
    },
  ];
  const svg = lineChartSvg({
    title: 'Seed vs "ours" <N=200>',
    xLabel: 'images',
    yLabel: 'seconds',
    series,
    target: { y: 15, label: '15 s budget' },
  });

  it('is well-formed XML with every text escaped', () => {
    expect(() => assertWellFormed(svg)).not.toThrow();
    expect(svg).toContain('Seed vs &quot;ours&quot; &lt;N=200&gt;');
    expect(svg).toContain('seed &lt;catalog&gt; &amp; co');
    expect(svg).toContain('ours &apos;nx&apos;');
    expect(svg).not.toContain('<catalog>');
    expect(escapeXml(`<a href="x">&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;');
  });

  it('the checker used above does catch broken XML', () => {
    expect(() => assertWellFormed('<svg><g></svg>')).toThrow();
    expect(() => assertWellFormed('<svg><text>a < b</text></svg>')).toThrow();
    expect(() => assertWellFormed('<svg><text>a & b</text></svg>')).toThrow();
    expect(() => assertWellFormed('<svg a="1" a="2"/>')).toThrow();
  });

  it('puts each point on the gridlines of its value, inside the plot, in x order', () => {
    const gridY = new Map<number, number>();
    const gridX = new Map<number, number>();
    for (const m of svg.matchAll(/<text x="([\d.]+)" y="([\d.]+)" text-anchor="(end|middle)">([\d.]+)<\/text>/g)) {
      if (m[3] === 'end') gridY.set(Number(m[4]), Number(m[2]) - 4);
      else gridX.set(Number(m[4]), Number(m[1]));
    }
    expect([...gridY.keys()]).toEqual([0, 5, 10, 15]);
    expect([...gridX.keys()]).toEqual([0, 50, 100, 150, 200]);
    const lines = [...svg.matchAll(/<polyline [^>]*points="([^"]+)"/g)].map((m) =>
      m[1].split(' ').map((pair) => pair.split(',').map(Number)),
    );
    expect(lines).toHaveLength(2);
    const [seed, ours] = lines;
    // (50, 2.9) lies between the 0 and 5 gridlines in proportion; (200, ...) on the 200 gridline.
    expect(seed[1][0]).toBeCloseTo(gridX.get(50)!, 0);
    expect(seed[1][1]).toBeCloseTo(gridY.get(0)! + ((gridY.get(5)! - gridY.get(0)!) * 2.9) / 5, 0);
    expect(seed[2][0]).toBeCloseTo(gridX.get(200)!, 0);
    expect(seed[2][1]).toBeCloseTo(gridY.get(10)! + ((gridY.get(15)! - gridY.get(10)!) * 0.42) / 5, 0);
    for (const line of lines) {
      expect(line.map(([px]) => px)).toEqual([...line.map(([px]) => px)].sort((a, b) => a - b));
      for (const [px, py] of line) {
        expect(px).toBeGreaterThanOrEqual(gridX.get(0)! - 0.1);
        expect(px).toBeLessThanOrEqual(gridX.get(200)! + 0.1);
        expect(py).toBeLessThanOrEqual(gridY.get(0)! + 0.1);
        expect(py).toBeGreaterThanOrEqual(gridY.get(15)! - 0.1);
      }
    }
    expect(ours[0][1]).toBeLessThan(seed[0][1]);
  });

  it('labels every point with its value, in its series colour', () => {
    for (const [text, colour] of [
      ['10.4', COLOURS[0]],
      ['0.4', COLOURS[0]],
      ['2.9', COLOURS[0]],
      ['1.3', COLOURS[1]],
      ['1.45', COLOURS[1]],
      ['1.9', COLOURS[1]],
    ]) {
      expect(svg).toMatch(new RegExp(`fill="${colour}"[^>]*>${text.replace('.', '\\.')}</text>`));
    }
  });

  it('keeps value labels from overlapping each other', () => {
    const crowded = lineChartSvg({
      title: 't',
      xLabel: 'x',
      yLabel: 'y',
      series: [0, 1, 2].map((k) => ({
        name: `s${k}`,
        points: [1, 10, 20, 50, 100, 200].map((n) => ({ x: n, y: 1.2 + k * 0.05 + n * 0.001 })),
      })),
    });
    const boxes = [...crowded.matchAll(/<text x="([\d.]+)" y="([\d.]+)" text-anchor="middle" font-size="11"[^>]*>([^<]+)<\/text>/g)].map(
      (m) => ({ cx: Number(m[1]), base: Number(m[2]), w: m[3].length * 11 * 0.64 }),
    );
    expect(boxes).toHaveLength(18);
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i];
        const b = boxes[j];
        const apart = Math.abs(a.cx - b.cx) >= (a.w + b.w) / 2 - 0.5 || Math.abs(a.base - b.base) >= 12.5;
        expect(apart).toBe(true);
      }
    }
  });

  it('draws the target dashed, labelled, and scales the axis to reach it', () => {
    expect(svg).toMatch(/<line [^>]*stroke-dasharray="7 5"\/>/);
    expect(svg.match(/>15 s budget<\/text>/g)).toHaveLength(2);
    const dashed = /<line x1="[\d.]+" y1="([\d.]+)"[^>]*stroke-dasharray/.exec(svg)!;
    const fifteen = /<text x="[\d.]+" y="([\d.]+)" text-anchor="end">15<\/text>/.exec(svg)!;
    expect(Number(dashed[1])).toBeCloseTo(Number(fifteen[1]) - 4, 0);
  });

  it('gives each series its own colour and a legend entry', () => {
    const colours = [...svg.matchAll(/<polyline [^>]*stroke="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(colours).size).toBe(2);
    const legend = [...svg.matchAll(/<text x="[\d.]+" y="[\d.]+" font-size="12" fill="#222222">([^<]+)<\/text>/g)].map((m) => m[1]);
    expect(legend).toEqual(['seed &lt;catalog&gt; &amp; co', 'ours &apos;nx&apos;', '15 s budget']);
  });

  it('copes with no data, one point and no target', () => {
    for (const s of [[], [{ name: 'one', points: [{ x: 3, y: 7 }] }], [{ name: 'empty', points: [] }]]) {
      const out = lineChartSvg({ title: 'x', xLabel: 'x', yLabel: 'y', series: s });
      expect(() => assertWellFormed(out)).not.toThrow();
      expect(out).not.toMatch(/NaN|Infinity/);
    }
  });

  it('uses only attribute values the test can read back as numbers', () => {
    for (const m of svg.matchAll(/<(?:circle|rect|line)\s[^>]*>/g)) {
      for (const name of ['x1', 'y1', 'cx', 'cy']) {
        if (m[0].includes(` ${name}="`)) expect(Number.isFinite(attr(m[0], name))).toBe(true);
      }
    }
  });
});
