import sharp from 'sharp';

/** One line of a panel. */
export interface LineSeries {
  name: string;
  /** Any SVG colour, e.g. `#1f77b4`. */
  colour: string;
  dashed?: boolean;
  points: readonly { x: number; y: number }[];
}

/** One chart of a {@link renderLinePlot} figure. */
export interface LinePanel {
  title: string;
  xLabel: string;
  yLabel: string;
  /** Whole-number ticks of the x axis (also its range). */
  xTicks: readonly number[];
  /** The y axis range; points outside it are clipped to it. */
  yRange: readonly [number, number];
  yTicks: readonly number[];
  /** How a y tick is written (default: its value with 2 decimals). */
  yFormat?: (y: number) => string;
  /** Horizontal reference lines (a goal, a baseline), drawn dotted in gray with their label. */
  guides?: readonly { y: number; label: string }[];
  series: readonly LineSeries[];
}

/** Pixel sizes of a {@link renderLinePlot} figure. */
export interface LinePlotSize {
  /** Width of one panel (default 480). */
  panelWidth?: number;
  /** Height of the figure (default 400). */
  height?: number;
}

const MARGIN = { left: 56, right: 16, top: 34, bottom: 44 } as const;
/** Legend entries per row, and the height of a row, under the x axis label. */
const LEGEND = { columns: 2, row: 16 } as const;
const FONT = 'font-family="DejaVu Sans, sans-serif"';

/** Panels side by side as an SVG document: axes, ticks, dotted guides, one polyline with markers per series and a legend under each panel. */
export function linePlotSvg(panels: readonly LinePanel[], size: LinePlotSize = {}): string {
  const panelWidth = size.panelWidth ?? 480;
  const height = size.height ?? 400;
  const parts = panels.map((panel, i) => `<g transform="translate(${i * panelWidth},0)">${panelSvg(panel, panelWidth, height)}</g>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${panelWidth * panels.length}" height="${height}"><rect width="100%" height="100%" fill="white"/>${parts.join('')}</svg>`;
}

/** {@link linePlotSvg} rasterised to a PNG. @throws RangeError when there is no panel. */
export async function renderLinePlot(panels: readonly LinePanel[], size: LinePlotSize = {}): Promise<Buffer> {
  if (panels.length === 0) throw new RangeError('a plot needs at least one panel');
  return sharp(Buffer.from(linePlotSvg(panels, size))).png().toBuffer();
}

function panelSvg(panel: LinePanel, width: number, height: number): string {
  const legendHeight = Math.ceil(panel.series.length / LEGEND.columns) * LEGEND.row + 4;
  const plotWidth = width - MARGIN.left - MARGIN.right;
  const plotHeight = height - MARGIN.top - MARGIN.bottom - legendHeight;
  const [x0, x1] = [Math.min(...panel.xTicks), Math.max(...panel.xTicks)];
  const [y0, y1] = panel.yRange;
  const px = (x: number): number => MARGIN.left + (x1 === x0 ? plotWidth / 2 : ((x - x0) / (x1 - x0)) * plotWidth);
  const py = (y: number): number => MARGIN.top + (1 - (Math.min(y1, Math.max(y0, y)) - y0) / (y1 - y0)) * plotHeight;
  const format = panel.yFormat ?? ((y: number) => y.toFixed(2));
  const out: string[] = [];
  out.push(`<text x="${width / 2}" y="20" ${FONT} font-size="14" text-anchor="middle">${escape(panel.title)}</text>`);
  for (const y of panel.yTicks) {
    out.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + plotWidth}" y1="${py(y)}" y2="${py(y)}" stroke="#e4e4e4"/>`);
    out.push(`<text x="${MARGIN.left - 6}" y="${py(y) + 4}" ${FONT} font-size="11" text-anchor="end">${escape(format(y))}</text>`);
  }
  for (const x of panel.xTicks) out.push(`<text x="${px(x)}" y="${MARGIN.top + plotHeight + 16}" ${FONT} font-size="11" text-anchor="middle">${x}</text>`);
  out.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#444"/>`);
  out.push(`<text x="${MARGIN.left + plotWidth / 2}" y="${MARGIN.top + plotHeight + 32}" ${FONT} font-size="12" text-anchor="middle">${escape(panel.xLabel)}</text>`);
  out.push(`<text transform="translate(14,${MARGIN.top + plotHeight / 2}) rotate(-90)" ${FONT} font-size="12" text-anchor="middle">${escape(panel.yLabel)}</text>`);
  for (const guide of panel.guides ?? []) {
    out.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + plotWidth}" y1="${py(guide.y)}" y2="${py(guide.y)}" stroke="#888" stroke-dasharray="2,3"/>`);
    out.push(`<text x="${MARGIN.left + 4}" y="${py(guide.y) - 4}" ${FONT} font-size="10" fill="#666">${escape(guide.label)}</text>`);
  }
  panel.series.forEach((series, i) => {
    const points = series.points.map((p) => `${px(p.x).toFixed(1)},${py(p.y).toFixed(1)}`);
    out.push(`<polyline points="${points.join(' ')}" fill="none" stroke="${series.colour}" stroke-width="2"${series.dashed === true ? ' stroke-dasharray="6,4"' : ''}/>`);
    for (const p of series.points) out.push(`<circle cx="${px(p.x).toFixed(1)}" cy="${py(p.y).toFixed(1)}" r="3" fill="${series.colour}"/>`);
    const ly = MARGIN.top + plotHeight + 54 + LEGEND.row * Math.floor(i / LEGEND.columns);
    const lx = MARGIN.left + (plotWidth / LEGEND.columns) * (i % LEGEND.columns);
    out.push(`<line x1="${lx}" x2="${lx + 24}" y1="${ly}" y2="${ly}" stroke="${series.colour}" stroke-width="2"${series.dashed === true ? ' stroke-dasharray="6,4"' : ''}/>`);
    out.push(`<text x="${lx + 30}" y="${ly + 4}" ${FONT} font-size="11">${escape(series.name)}</text>`);
  });
  return out.join('');
}

function escape(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}
