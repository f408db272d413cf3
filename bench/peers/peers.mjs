// The intake flow of the shipped playbooks written for two peers, for tools/bench:
// xstate v5 (a state machine library) and bpmn-engine (a BPMN 2.0 engine), both in
// memory, and xstate with its persisted snapshots in SQLite through better-sqlite3 for
// the durable comparison. The workload (clients, tariffs, catalog, messages) is the one
// reglament-bench exported, so every engine sees the same requests.
//
//   node peers.mjs --workload W.json --json out.json [--runs 5] [--messages N] [--batch 256] [--dir D]
//   node peers.mjs ... --only xstate   # xstate in memory alone (tools/bench/run's paired rounds)
//
// Per message, each peer does what Reglament's intake does up to its first wait: find
// the client by the sender's address, classify the request by the catalog's keywords,
// check the tariff's quota for the month, render the greeting and queue it in the
// outbox, then wait for the accountant (in tariff) or the manager (anything else). The
// peers' classification is a plain substring match on keyword prefixes (no stemming),
// which is less work than Reglament's: the comparison favours the peers.
import { createActor, createMachine, assign } from 'xstate';
import { Engine } from 'bpmn-engine';
import BpmnModdle from 'bpmn-moddle';
import * as elements from 'bpmn-elements';
import serializer, { TypeResolver } from 'moddle-context-serializer';
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => {
    if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1] && !all[i + 1].startsWith('--') ? all[i + 1] : 'true']);
    return acc;
  }, []),
);
const runs = Number(args.runs ?? 5);
const batch = Number(args.batch ?? 256);
const workload = JSON.parse(fs.readFileSync(args.workload, 'utf8'));
const messages = workload.messages.slice(0, Number(args.messages ?? workload.messages.length));
const bpmnMessages = messages.slice(0, Math.min(messages.length, Number(args['bpmn-messages'] ?? 1000)));
const dir = args.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'reglament-peers-'));

// The firm, indexed the way a JS service would index it.
const clientsByEmail = new Map(workload.clients.map((c) => [c.email, c]));
const rules = workload.services.flatMap((s) =>
  s.keywords.map((k) => ({ service: s.id, title: s.title, prefix: k.toLowerCase().split(' ').map((w) => w.slice(0, Math.max(3, w.length - 2))) })),
);
function classify(text) {
  const t = text.toLowerCase();
  const score = new Map();
  for (const r of rules) if (r.prefix.every((p) => t.includes(p))) score.set(r.service, (score.get(r.service) ?? 0) + r.prefix.length);
  let best = null;
  for (const [s, v] of score) if (!best || v > best[1]) best = [s, v];
  return best ? best[0] : null;
}
const serviceTitle = new Map(workload.services.map((s) => [s.id, s.title]));
const period = workload.period;

function freshFirm() {
  return { quota: new Map(), outbox: [] };
}
function tariffCheck(firm, c) {
  const tariff = workload.tariffs[c.client.tariff] ?? {};
  if (!c.service) return 'unknown';
  if (!(c.service in tariff)) return 'not_included';
  const limit = tariff[c.service];
  const key = `${c.client.id}\u001f${c.service}\u001f${period}`;
  const used = firm.quota.get(key) ?? 0;
  if (limit >= 0 && used >= limit) return 'over_quota';
  firm.quota.set(key, used + 1);
  return 'in_tariff';
}
function greeting(c) {
  const you = c.client.form === 'ты' ? 'тебя' : 'Вас';
  const what = c.service ? `«${serviceTitle.get(c.service)}»` : 'Ваш запрос';
  return `${c.client.address}, здравствуйте!\n\nСпасибо за обращение, мы получили ${what}. ` +
    (c.outcome === 'in_tariff' ? 'Это входит в тариф, бухгалтер уже взял в работу.' : 'Менеджер свяжется с ' + you + ' в течение рабочего дня.') +
    `\n\n--\n${c.client.manager}`;
}

// xstate v5: one state per step of the intake, `always` transitions between them.
function intakeMachine(firm) {
  return createMachine({
    id: 'intake',
    initial: 'identify',
    context: ({ input }) => ({ sender: input.sender, text: input.text, client: null, service: null, outcome: null, assignee: null, steps: 0 }),
    states: {
      identify: {
        entry: assign({ client: ({ context }) => clientsByEmail.get(context.sender) ?? null, steps: ({ context }) => context.steps + 1 }),
        always: [{ guard: ({ context }) => context.client !== null, target: 'classify' }, { target: 'unknown_sender' }],
      },
      classify: {
        entry: assign({ service: ({ context }) => classify(context.text), steps: ({ context }) => context.steps + 1 }),
        always: 'check_tariff',
      },
      check_tariff: {
        entry: assign({ outcome: ({ context }) => tariffCheck(firm, context), steps: ({ context }) => context.steps + 1 }),
        always: 'greet',
      },
      greet: {
        entry: [
          ({ context }) => firm.outbox.push({ to: context.sender, text: greeting(context) }),
          assign({ steps: ({ context }) => context.steps + 1 }),
        ],
        always: [{ guard: ({ context }) => context.outcome === 'in_tariff', target: 'accountant' }, { target: 'manager' }],
      },
      accountant: {
        entry: assign({ assignee: ({ context }) => context.client.accountant, steps: ({ context }) => context.steps + 1 }),
        on: { DONE: 'closed' },
      },
      manager: {
        entry: assign({ assignee: ({ context }) => context.client.manager, steps: ({ context }) => context.steps + 1 }),
        on: { DONE: 'closed' },
      },
      unknown_sender: { on: { DONE: 'closed' } },
      closed: { type: 'final' },
    },
  });
}

function runXstate() {
  const firm = freshFirm();
  const machine = intakeMachine(firm);
  let steps = 0;
  const t0 = process.hrtime.bigint();
  for (const m of messages) {
    const actor = createActor(machine, { input: m }).start();
    const snap = actor.getSnapshot();
    if (snap.value !== 'accountant' && snap.value !== 'manager') throw new Error(`xstate: case stopped at ${snap.value}`);
    steps += snap.context.steps;
    actor.stop();
  }
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  return { casesPerSecond: messages.length / s, stepsPerSecond: steps / s, stepsPerCase: steps / messages.length };
}

// xstate with its persisted snapshot in SQLite (WAL, synchronous=FULL, as the store):
// per message the snapshot, the greeting in the outbox and the inbound record, `batch`
// messages per transaction like Reglament's group commit.
function runXstateDurable(run) {
  const file = path.join(dir, `xstate-${run}.db`);
  for (const s of ['', '-wal', '-shm']) fs.rmSync(file + s, { force: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('temp_store = MEMORY');
  db.pragma('cache_size = -16384');
  db.exec(`CREATE TABLE cases(id INTEGER PRIMARY KEY, state TEXT NOT NULL, snapshot TEXT NOT NULL);
           CREATE TABLE outbox(case_id INTEGER NOT NULL, n INTEGER NOT NULL, recipient TEXT NOT NULL, text TEXT NOT NULL, PRIMARY KEY(case_id, n));
           CREATE TABLE inbound(external_id TEXT PRIMARY KEY, case_id INTEGER NOT NULL);`);
  const insCase = db.prepare('INSERT INTO cases(id, state, snapshot) VALUES(?, ?, ?)');
  const insOut = db.prepare('INSERT INTO outbox(case_id, n, recipient, text) VALUES(?, ?, ?, ?)');
  const insIn = db.prepare('INSERT INTO inbound(external_id, case_id) VALUES(?, ?)');
  const seen = db.prepare('SELECT case_id FROM inbound WHERE external_id = ?');
  const firm = freshFirm();
  const machine = intakeMachine(firm);
  const commitBatch = db.transaction((from, to) => {
    for (let i = from; i < to; ++i) {
      const m = messages[i];
      if (seen.get(m.external_id)) continue;
      firm.outbox.length = 0;
      const actor = createActor(machine, { input: m }).start();
      const snap = actor.getSnapshot();
      insCase.run(i + 1, String(snap.value), JSON.stringify(actor.getPersistedSnapshot()));
      for (const [n, o] of firm.outbox.entries()) insOut.run(i + 1, n + 1, o.to, o.text);
      insIn.run(m.external_id, i + 1);
      actor.stop();
    }
  });
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < messages.length; i += batch) commitBatch(i, Math.min(messages.length, i + batch));
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  db.close();
  for (const sfx of ['', '-wal', '-shm']) fs.rmSync(file + sfx, { force: true });
  return { casesPerSecond: messages.length / s };
}

// bpmn-engine: the same steps as service tasks, an exclusive gateway on the tariff
// outcome and a user task to wait on. The definition is parsed once and shared.
const bpmnSource = `<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="intake-defs">
  <process id="intake" isExecutable="true">
    <startEvent id="received" />
    <serviceTask id="identify" implementation="\${environment.services.identify}" />
    <serviceTask id="classify" implementation="\${environment.services.classify}" />
    <serviceTask id="check_tariff" implementation="\${environment.services.checkTariff}" />
    <serviceTask id="greet" implementation="\${environment.services.greet}" />
    <exclusiveGateway id="who" default="to_manager" />
    <userTask id="accountant" />
    <userTask id="manager" />
    <endEvent id="closed" />
    <sequenceFlow id="f1" sourceRef="received" targetRef="identify" />
    <sequenceFlow id="f2" sourceRef="identify" targetRef="classify" />
    <sequenceFlow id="f3" sourceRef="classify" targetRef="check_tariff" />
    <sequenceFlow id="f4" sourceRef="check_tariff" targetRef="greet" />
    <sequenceFlow id="f5" sourceRef="greet" targetRef="who" />
    <sequenceFlow id="to_accountant" sourceRef="who" targetRef="accountant">
      <conditionExpression xsi:type="tFormalExpression">\${environment.variables.inTariff}</conditionExpression>
    </sequenceFlow>
    <sequenceFlow id="to_manager" sourceRef="who" targetRef="manager" />
    <sequenceFlow id="f6" sourceRef="accountant" targetRef="closed" />
    <sequenceFlow id="f7" sourceRef="manager" targetRef="closed" />
  </process>
</definitions>`;

async function runBpmn(sourceContext) {
  const firm = freshFirm();
  const services = {
    identify(ctx, next) {
      const v = ctx.environment.variables;
      v.c.client = clientsByEmail.get(v.c.sender) ?? null;
      next();
    },
    classify(ctx, next) {
      const v = ctx.environment.variables;
      v.c.service = classify(v.c.text);
      next();
    },
    checkTariff(ctx, next) {
      const v = ctx.environment.variables;
      v.c.outcome = tariffCheck(firm, v.c);
      v.inTariff = v.c.outcome === 'in_tariff';
      next();
    },
    greet(ctx, next) {
      const v = ctx.environment.variables;
      firm.outbox.push({ to: v.c.sender, text: greeting(v.c) });
      next();
    },
  };
  const t0 = process.hrtime.bigint();
  let steps = 0;
  for (const m of bpmnMessages) {
    const engine = new Engine({ name: 'intake', sourceContext, services, variables: { c: { sender: m.sender, text: m.text } } });
    const listener = new (await import('node:events')).EventEmitter();
    const waiting = new Promise((resolve) => listener.once('wait', (api) => resolve(api)));
    listener.on('activity.start', () => ++steps);
    await engine.execute({ listener });
    const api = await waiting;
    if (api.id !== 'accountant' && api.id !== 'manager') throw new Error(`bpmn-engine: case stopped at ${api.id}`);
    await engine.stop();
  }
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  return { casesPerSecond: bpmnMessages.length / s, stepsPerSecond: steps / s, stepsPerCase: steps / bpmnMessages.length };
}

function progress(label) {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${label}`);
  else process.stderr.write(`${label}\n`);
}

const measures = [];
function add(name, unit, value) {
  let m = measures.find((x) => x.name === name);
  if (!m) measures.push((m = { name, unit, values: [] }));
  m.values.push(value);
}

const onlyXstate = args.only === 'xstate';
if (args.only !== undefined && !onlyXstate) throw new Error(`--only ${args.only}: only xstate can run alone`);
const moddle = onlyXstate ? null : await new BpmnModdle().fromXML(bpmnSource);
const sourceContext = onlyXstate ? null : serializer(moddle, TypeResolver(elements));
// Warm-up: the JIT compiles the hot paths before anything is timed. One pass left
// xstate's first timed run about 10% slower than the later ones (V8 still optimising);
// after three the first run is like the rest, which matters to the paired rounds' three runs.
progress('peers: warm-up');
for (let i = 0; i < 3; ++i) runXstate();
if (!onlyXstate) await runBpmn(sourceContext);
for (let r = 1; r <= runs; ++r) {
  progress(`peers: run ${r}/${runs}: xstate in memory`);
  const x = runXstate();
  add('xstate v5, in memory: cases opened', 'cases/s', x.casesPerSecond);
  add('xstate v5, in memory: steps', 'steps/s', x.stepsPerSecond);
  if (onlyXstate) continue;
  progress(`peers: run ${r}/${runs}: bpmn-engine in memory`);
  const b = await runBpmn(sourceContext);
  add('bpmn-engine, in memory: cases opened', 'cases/s', b.casesPerSecond);
  add('bpmn-engine, in memory: steps', 'steps/s', b.stepsPerSecond);
  progress(`peers: run ${r}/${runs}: xstate + better-sqlite3`);
  const d = runXstateDurable(r);
  add('xstate v5 + SQLite (better-sqlite3): durable ingest', 'messages/s', d.casesPerSecond);
}
progress('peers: done\n');
const out = {
  section: 'peers',
  measures,
  notes: [
    `Peers: ${messages.length} messages per xstate run, ${bpmnMessages.length} per bpmn-engine run; durable xstate commits ${batch} messages per transaction. ` +
      `Node ${process.version}; xstate ${JSON.parse(fs.readFileSync(new URL('./node_modules/xstate/package.json', import.meta.url))).version}, ` +
      `bpmn-engine ${JSON.parse(fs.readFileSync(new URL('./node_modules/bpmn-engine/package.json', import.meta.url))).version}, ` +
      `better-sqlite3 ${JSON.parse(fs.readFileSync(new URL('./node_modules/better-sqlite3/package.json', import.meta.url))).version} (SQLite ${new Database(':memory:').prepare('select sqlite_version() v').get().v}).`,
  ],
};
fs.writeFileSync(args.json, JSON.stringify(out, null, 1));
if (!args.dir) fs.rmSync(dir, { recursive: true, force: true });
