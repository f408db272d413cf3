// Small inline-SVG charts drawn by hand (no chart library): horizontal bars with labels.
// Labels are SVG text nodes (textContent), never markup.
import { s } from './dom.js';

// bars([{label, value, text, tone}], {max, width}) → <svg>. `text` is what is written at
// the bar's end (defaults to the value); tone 'ok' | 'bad' colours the bar.
export function bars(items, { max, width = 520, row = 26, labelWidth = 190, title = '' } = {}) {
  const top = max ?? Math.max(1, ...items.map((i) => i.value || 0));
  const barSpace = width - labelWidth - 60;
  const height = Math.max(row, items.length * row) + 4;
  const svg = s('svg', { class: 'chart', viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': title, preserveAspectRatio: 'xMinYMin meet' });
  if (title) svg.append(s('title', null, title));
  items.forEach((item, i) => {
    const y = i * row + 2;
    const w = Math.max(item.value > 0 ? 2 : 0, Math.round((barSpace * (item.value || 0)) / top));
    const label = item.label.length > 28 ? `${item.label.slice(0, 27)}…` : item.label;
    svg.append(
      s('text', { x: labelWidth - 8, y: y + row / 2 + 4, 'text-anchor': 'end' }, label, s('title', null, item.label)),
      s('rect', { class: `bar ${item.tone || ''}`, x: labelWidth, y: y + 4, width: w, height: row - 10, rx: 3 }),
      s('text', { x: labelWidth + w + 6, y: y + row / 2 + 4 }, item.text ?? String(item.value)));
  });
  svg.append(s('line', { class: 'axis', x1: labelWidth, y1: 0, x2: labelWidth, y2: height }));
  return svg;
}
