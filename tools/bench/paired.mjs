// Folds tools/bench/run's paired rounds into one section for report.mjs. A round runs the
// interpreter (reglament-bench --no-ingest) and xstate in memory (peers.mjs --only
// xstate) one right after the other, so both meet the same machine: on a shared virtual
// machine the speed of a core drifts by half over minutes, and a ratio of two medians
// taken minutes apart carries that drift. Each engine runs three times in its turn (xstate
// after three JIT warm-up passes); a round's ratio is of the two medians, and the report
// gives the median of the rounds' ratios.
//
//   node paired.mjs --json out.json ENGINE-1.json XSTATE-1.json ENGINE-2.json XSTATE-2.json ...
import fs from 'node:fs';

const argv = process.argv.slice(2);
let out;
const files = [];
for (let i = 0; i < argv.length; ++i) {
  if (argv[i] === '--json') out = argv[++i];
  else files.push(argv[i]);
}
if (!out || files.length === 0 || files.length % 2) throw new Error('usage: paired.mjs --json OUT ENGINE.json XSTATE.json [...]');

const median = (v) => {
  const s = [...v].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
};
// The median of one measure of a section file: of the round's three runs.
function value(file, re) {
  const section = JSON.parse(fs.readFileSync(file, 'utf8'));
  const m = section.measures.find((x) => re.test(x.name));
  if (!m) throw new Error(`${file}: no measure matching ${re}`);
  return median(m.values);
}

const measures = [
  { name: 'Paired rounds: Reglament interpreter alone, cases opened', unit: 'cases/s', values: [] },
  { name: 'Paired rounds: xstate v5 in memory, cases opened', unit: 'cases/s', values: [] },
  { name: 'Paired rounds: Reglament / xstate v5, in memory', unit: 'ratio', values: [] },
];
for (let i = 0; i < files.length; i += 2) {
  const reglament = value(files[i], /^Interpreter alone: cases opened/);
  const xstate = value(files[i + 1], /^xstate v5, in memory: cases opened/);
  measures[0].values.push(reglament);
  measures[1].values.push(xstate);
  measures[2].values.push(reglament / xstate);
}
fs.writeFileSync(
  out,
  JSON.stringify(
    {
      section: 'paired',
      measures,
      notes: [
        `${files.length / 2} rounds; in each, the interpreter and xstate run three times each on the same messages, one ` +
          'engine right after the other (which goes first alternates), and the ratio is of the two medians of the round.',
      ],
    },
    null,
    1,
  ),
);
