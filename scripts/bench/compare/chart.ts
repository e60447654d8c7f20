// A self-contained SVG bar chart of ratios (one bar per figure, a line at 1.0), for the compare
// benchmark's report.

export interface RatioBar {
  readonly label: string;
  readonly ratio: number;
}

const WIDTH = 760;
const BAR_HEIGHT = 22;
const GAP = 8;
const LABEL_WIDTH = 300;
const MARGIN = 20;
const TITLE_HEIGHT = 40;
const AXIS_HEIGHT = 30;

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function ratioChart(title: string, bars: readonly RatioBar[]): string {
  const plotWidth = WIDTH - LABEL_WIDTH - 2 * MARGIN;
  const finite = bars.map((bar) => (Number.isFinite(bar.ratio) ? bar.ratio : 0));
  const top = Math.max(1.5, ...finite) * 1.1;
  const x = (ratio: number) => LABEL_WIDTH + MARGIN + (ratio / top) * plotWidth;
  const height = TITLE_HEIGHT + bars.length * (BAR_HEIGHT + GAP) + AXIS_HEIGHT + MARGIN;
  const rows = bars.map((bar, index) => {
    const y = TITLE_HEIGHT + index * (BAR_HEIGHT + GAP);
    const ratio = finite[index];
    const fill = ratio >= 1 ? "#3b8f4e" : "#c0504d";
    return (
      `<text x="${LABEL_WIDTH + MARGIN - 8}" y="${y + BAR_HEIGHT * 0.7}" text-anchor="end">${escapeXml(bar.label)}</text>` +
      `<rect x="${x(0)}" y="${y}" width="${(x(ratio) - x(0)).toFixed(1)}" height="${BAR_HEIGHT}" fill="${fill}"><title>${ratio.toFixed(2)}x</title></rect>` +
      `<text x="${(x(ratio) + 4).toFixed(1)}" y="${y + BAR_HEIGHT * 0.7}">${ratio.toFixed(2)}x</text>`
    );
  });
  const axisY = TITLE_HEIGHT + bars.length * (BAR_HEIGHT + GAP);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" font-family="sans-serif" font-size="13">
<text x="${MARGIN}" y="24" font-size="16">${escapeXml(title)}</text>
${rows.join("\n")}
<line x1="${x(1).toFixed(1)}" y1="${TITLE_HEIGHT - 4}" x2="${x(1).toFixed(1)}" y2="${axisY}" stroke="#333" stroke-dasharray="4 3"/>
<text x="${x(1).toFixed(1)}" y="${axisY + 18}" text-anchor="middle">1.0 = as fast as Linux</text>
</svg>
`;
}
