// Turns the JSON that reglament-bench, bench/peers/peers.mjs and daemon.mjs wrote into
// the results section of docs/BENCHMARKS.md (between the bench:results markers; the
// rest of the file is left as written) and the chart docs/benchmarks.svg. Every figure
// in that section comes from those files; nothing is typed in.
//
//   node report.mjs --out docs/BENCHMARKS.md --svg docs/benchmarks.svg --command "..." --seconds N A.json B.json ...
import fs from 'node:fs';
import path from 'node:path';

const argv = process.argv.slice(2);
const opts = {};
const inputs = [];
for (let i = 0; i < argv.length; ++i) {
  if (argv[i].startsWith('--')) opts[argv[i].slice(2)] = argv[++i];
  else inputs.push(argv[i]);
}
const sections = inputs.filter((f) => fs.existsSync(f)).map((f) => JSON.parse(fs.readFileSync(f, 'utf8')));
const engine = sections.find((s) => s.section === 'engine') ?? { measures: [], machine: [], notes: [] };
const all = sections.flatMap((s) => s.measures);

const median = (v) => {
  const s = [...v].sort((a, b) => a - b);
  const n = s.length;
  return n === 0 ? NaN : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
};
const find = (re) => all.find((m) => re.test(m.name));
const med = (re) => {
  const m = find(re);
  return m ? median(m.values) : NaN;
};
function num(v) {
  if (!Number.isFinite(v)) return '—';
  const a = Math.abs(v);
  if (a >= 1000) return Math.round(v).toLocaleString('en');
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  if (a >= 0.01 || a === 0) return v.toFixed(2);
  return v.toPrecision(2);
}
function table(measures) {
  let t = '| Measure | Median | Min | Max | Unit |\n|---|---:|---:|---:|---|\n';
  for (const m of measures)
    t += `| ${m.name} | ${num(median(m.values))} | ${num(Math.min(...m.values))} | ${num(Math.max(...m.values))} | ${m.unit} |\n`;
  return t;
}

// The targets of the performance issue, each checked against the medians above.
const reglamentCases = med(/^Interpreter alone: cases opened/);
const reglamentSteps = med(/^Interpreter alone: steps/);
const xstateCases = med(/^xstate v5, in memory: cases opened/);
const pairedRatio = med(/^Paired rounds: Reglament \/ xstate v5/);
const bpmnCases = med(/^bpmn-engine, in memory: cases opened/);
const durable = med(/^Engine, saturation: throughput/);
const xstateDurable = med(/^xstate v5 \+ SQLite/);
const restartReady = med(/^Restart with .*: ready/);
const perCase = med(/^Restart: memory per idle open case/);
const footprintRss = Math.max(med(/^Footprint.*resident memory after a day/), med(/^Footprint.*resident memory idle/));
const idleCpu = med(/^Footprint.*CPU while idle/);
const validation = med(/^Validation of a .*: load and validate/);
const p99at2000 = med(/^Engine at 2,000 msg\/s offered: latency p99$/);
const rawP99at2000 = med(/^SQLite alone at 2,000 msg\/s offered.*: latency p99$/);
const targets = [
  ['Durable ingest ≥ 0.7 × the raw SQLite limit', med(/^Engine \/ SQLite limit/), (v) => v >= 0.7, (v) => `${num(v)} ×`],
  ['p99 ingest → greeting committed ≤ 5 ms at 2,000 msg/s', p99at2000, (v) => v <= 5, (v) => `${num(v)} ms`],
  // What the disk allows: the engine's rows written alone at that rate, no engine in the way.
  ['p99 of SQLite alone at 2,000 msg/s, same rows and commits (the floor on this disk; no target)', rawP99at2000, () => null, (v) => `${num(v)} ms`],
  // Paired rounds when they ran (both engines in the same minute); else the two phases' medians.
  Number.isFinite(pairedRatio)
    ? ['In memory ≥ 10 × xstate (cases opened per second, median of paired rounds)', pairedRatio, (v) => v >= 10, (v) => `${num(v)} ×`]
    : ['In memory ≥ 10 × xstate (cases opened per second)', reglamentCases / xstateCases, (v) => v >= 10, (v) => `${num(v)} ×`],
  ...(Number.isFinite(pairedRatio)
    ? [['In memory: Reglament / xstate from the two phases\' medians (no target; minutes apart)', reglamentCases / xstateCases, () => null, (v) => `${num(v)} ×`]]
    : []),
  ['In memory ≥ 50 × bpmn-engine (cases opened per second)', reglamentCases / bpmnCases, (v) => v >= 50, (v) => `${num(v)} ×`],
  ['Durable: Reglament / xstate + better-sqlite3 (no target)', durable / xstateDurable, () => null, (v) => `${num(v)} ×`],
  ['Restart with 1,000,000 open cases ready ≤ 3 s', restartReady, (v) => v <= 3, (v) => `${num(v)} s`],
  ['≤ 1 KiB of RAM per idle open case', perCase, (v) => v <= 1024, (v) => `${num(v)} bytes`],
  ['Validating 2,000 steps ≤ 20 ms', validation, (v) => v <= 20, (v) => `${num(v)} ms`],
  ['Footprint ≤ 50 MiB resident, 200-client firm', footprintRss, (v) => v <= 50, (v) => `${num(v)} MiB`],
  ['No busy polling while idle (CPU ≈ 0)', idleCpu, (v) => v < 1, (v) => `${num(v)} % of a core`],
];

// The chart: throughput on a log scale, in memory and durable, one bar per engine.
function chart() {
  const groups = [
    ['In memory: intake cases opened per second (one thread)', [
      ['Reglament', reglamentCases], ['xstate v5', xstateCases], ['bpmn-engine', bpmnCases]]],
    ['Durable: messages committed per second (SQLite WAL, synchronous=FULL)', [
      ['SQLite limit, same rows', med(/^SQLite limit: messages-equivalent/)], ['Reglament', durable],
      ['xstate v5 + better-sqlite3', xstateDurable], ['Reglament over HTTP', med(/^HTTP POST .*: throughput/)],
      ['Reglament, WebSocket chat', med(/^WebSocket chat.*: conversations/)]]],
  ];
  const W = 760, left = 210, right = 90, barH = 22, gap = 8, groupGap = 34, top = 40;
  const values = groups.flatMap(([, bars]) => bars.map(([, v]) => v)).filter((v) => Number.isFinite(v) && v > 0);
  const lo = Math.pow(10, Math.floor(Math.log10(Math.min(...values, 100))));
  const hi = Math.pow(10, Math.ceil(Math.log10(Math.max(...values, 1000))));
  const x = (v) => left + ((Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * (W - left - right);
  let y = top;
  let body = '';
  const colors = { Reglament: '#1f6feb', 'Reglament over HTTP': '#5b9bf5', 'Reglament, WebSocket chat': '#5b9bf5', 'SQLite limit, same rows': '#8b949e' };
  for (const [title, bars] of groups) {
    body += `<text x="10" y="${y + 4}" font-weight="bold">${title}</text>\n`;
    y += 14;
    for (const [label, v] of bars) {
      const ok = Number.isFinite(v) && v > 0;
      const w = ok ? Math.max(1, x(v) - left) : 0;
      body += `<text x="${left - 8}" y="${y + barH * 0.7}" text-anchor="end">${label}</text>\n`;
      body += `<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${colors[label] ?? '#d29922'}"/>\n`;
      body += `<text x="${left + w + 6}" y="${y + barH * 0.7}">${ok ? num(v) : 'not measured'}</text>\n`;
      y += barH + gap;
    }
    y += groupGap - gap;
  }
  let axis = '';
  for (let d = lo; d <= hi; d *= 10) {
    axis += `<line x1="${x(d)}" y1="${top - 6}" x2="${x(d)}" y2="${y - groupGap + 4}" stroke="#d0d7de" stroke-dasharray="3,3"/>\n`;
    axis += `<text x="${x(d)}" y="${y - groupGap + 18}" text-anchor="middle" fill="#57606a">${d.toLocaleString('en')}</text>\n`;
  }
  const H = y - groupGap + 30;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="10" y="18" font-size="14" font-weight="bold">Reglament and peers, medians (log scale)</text>
${axis}${body}</svg>
`;
}

let md = `<!-- bench:results:begin (generated by tools/bench/run; edit the script, not this section) -->\n`;
md += `## Results\n\n`;
md += `Run ${engine.started ?? ''} with \`${opts.command ?? 'tools/bench/run'}\`` + (opts.seconds ? `, which took ${Math.round(Number(opts.seconds))} s.` : '.') + '\n\n';
md += `${engine.runs ?? '?'} runs after a warm-up; each table shows the median, the minimum and the maximum. Workload: ${engine.workload ?? ''}.\n\n`;
md += `![Throughput of Reglament and its peers](${path.basename(opts.svg ?? 'benchmarks.svg')})\n\n`;
md += `### Machine\n\n| | |\n|---|---|\n`;
for (const [k, v] of engine.machine ?? []) md += `| ${k} | ${v} |\n`;
md += `\n### Targets\n\n| Target | Measured (median) | Met |\n|---|---:|---|\n`;
for (const [name, v, test, show] of targets) {
  const verdict = Number.isFinite(v) ? test(v) : undefined;
  md += `| ${name} | ${Number.isFinite(v) ? show(v) : 'not measured'} | ${verdict === undefined ? '—' : verdict === null ? '' : verdict ? 'yes' : '**no**'} |\n`;
}
const titles = { engine: 'Engine: durable ingest, SQLite limit, interpreter, validation', peers: 'Peers (Node)', paired: 'In memory, paired rounds: the interpreter and xstate back to back', daemon: 'The daemon: restart, HTTP and WebSocket, footprint' };
for (const s of sections) {
  md += `\n### ${titles[s.section] ?? s.section}\n\n${table(s.measures)}`;
  for (const n of s.notes ?? []) md += `\n${n}\n`;
}
md += `<!-- bench:results:end -->\n`;

const out = opts.out;
let doc = fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : '# Benchmarks\n\n';
const begin = doc.indexOf('<!-- bench:results:begin');
const endMarker = '<!-- bench:results:end -->\n';
const end = doc.indexOf(endMarker);
doc = begin >= 0 && end > begin ? doc.slice(0, begin) + md + doc.slice(end + endMarker.length) : doc.trimEnd() + '\n\n' + md;
fs.writeFileSync(out, doc);
if (opts.svg) fs.writeFileSync(opts.svg, chart());
process.stderr.write(`report written to ${out}${opts.svg ? ` and ${opts.svg}` : ''}\n`);
