// Helpers shared by the owner's pages: their stylesheet, a debounce for live checks, and
// the graph's SVG from the server turned into DOM nodes (parsed as SVG, never as HTML).
import { h } from '../lib/dom.js';
import { unifiedHunks } from '../lib/line_diff.js';

let styled = false;
export function useStudioStyles() {
  if (styled) return;
  styled = true;
  document.head.append(h('link', { rel: 'stylesheet', href: new URL('../studio.css', import.meta.url).href }));
}

// debounce(f, ms): .schedule() runs f once typing pauses for `ms`; .now() runs it at once.
export function debounce(f, ms) {
  let timer = null;
  return {
    schedule() {
      clearTimeout(timer);
      timer = setTimeout(() => { timer = null; f().catch(() => {}); }, ms);
    },
    now() {
      clearTimeout(timer);
      timer = null;
      return f().catch(() => {});
    },
  };
}

export function svgFromServer(text) {
  const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
  const root = doc.documentElement;
  if (root.nodeName !== 'svg') throw new Error('the graph is not an SVG picture');
  for (const bad of root.querySelectorAll('script, foreignObject')) bad.remove();
  return document.importNode(root, true);
}

// The unified diff of diffLines() output as a table: old and new line numbers, the line.
export function diffTable(lines) {
  const table = h('table', { class: 'diff', 'data-testid': 'diff' });
  for (const hk of unifiedHunks(lines)) {
    table.append(h('tr', { class: 'hunk' }, h('td', { colspan: '3' }, hk.header)));
    for (const l of hk.lines)
      table.append(h('tr', { class: l.op === '+' ? 'add' : l.op === '-' ? 'del' : 'same' },
        h('td', { class: 'num' }, l.a ? String(l.a) : ''), h('td', { class: 'num' }, l.b ? String(l.b) : ''),
        h('td', { class: 'code' }, `${l.op} ${l.text}`)));
  }
  return table;
}
