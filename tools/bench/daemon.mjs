// The real reglamentd, measured from outside, for tools/bench: restart with many idle
// open cases (time to ready, resident memory per idle case), end to end over HTTP and
// over the website chat's WebSocket with many concurrent connections on loopback, and
// the footprint of a small firm's day (resident memory, CPU while idle, database size per
// 10,000 cases). Node's standard library only (the WebSocket client is Node's own:
// node --experimental-websocket on Node 20). Writes its measures as JSON for report.mjs;
// progress on stderr.
//
//   node --experimental-websocket daemon.mjs --reglamentd BIN --bench BIN --playbooks DIR
//        --json OUT [--runs 5] [--idle-cases 1000000] [--http-requests 20000]
//        [--connections 64] [--chat-visitors 4000] [--chat-connections 400] [--quick]
import { spawn, execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => {
    if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1] && !all[i + 1].startsWith('--') ? all[i + 1] : 'true']);
    return acc;
  }, []),
);
const quick = args.quick === 'true';
const runs = Number(args.runs ?? (quick ? 2 : 5));
const idleCases = Number(args['idle-cases'] ?? (quick ? 20000 : 1000000));
const httpRequests = Number(args['http-requests'] ?? (quick ? 2000 : 20000));
const connections = Number(args.connections ?? 64);
const chatVisitors = Number(args['chat-visitors'] ?? (quick ? 400 : 4000));
const chatConnections = Number(args['chat-connections'] ?? (quick ? 100 : 400));
const dayMessages = Number(args['day-messages'] ?? 1000);
const footprintClients = Number(args['footprint-clients'] ?? 200);
const idleSeconds = Number(args['idle-seconds'] ?? (quick ? 3 : 10));
// Every API call needs a credential: each daemon started here grants this owner token
// (--bootstrap-token-file), unless one is given.
const token = args.token ?? process.env.REGLAMENT_API_TOKEN ?? `rgl_bench-${crypto.randomBytes(24).toString('hex')}`;
const work = fs.mkdtempSync(path.join(args.dir ?? os.tmpdir(), 'reglament-daemon-bench-'));

function progress(label) {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${label}`);
  else process.stderr.write(`${label}\n`);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const measures = [];
const notes = [];
function add(name, unit, value) {
  let m = measures.find((x) => x.name === name);
  if (!m) measures.push((m = { name, unit, values: [] }));
  m.values.push(value);
}

// /proc figures of a process: resident memory (bytes) and CPU time (seconds).
function rss(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}
const ticks = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
function cpuSeconds(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticks;  // utime + stime
}

const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
function request(port, method, url, body) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers = { 'content-type': 'application/json' };
    if (data) headers['content-length'] = data.length;
    if (token) headers.authorization = `Bearer ${token}`;
    const req = http.request({ host: '127.0.0.1', port, method, path: url, agent, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    if (data) req.write(data);
    req.end();
  });
}

// Starts reglamentd; resolves once /healthz answers 200, with the times it took.
async function startDaemon(dataDir, extraConfig = '') {
  fs.mkdirSync(dataDir, { recursive: true });
  const portFile = path.join(dataDir, 'port');
  fs.rmSync(portFile, { force: true });
  const config = path.join(dataDir, 'reglamentd.toml');
  fs.writeFileSync(config, `[store]\npath = "${path.join(dataDir, 'reglament.db')}"\n[spool]\ndir = "${path.join(dataDir, 'spool')}"\n${extraConfig}`);
  const tokenFile = path.join(dataDir, 'bootstrap-token');
  fs.writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
  const t0 = process.hrtime.bigint();
  const child = spawn(args.reglamentd, ['--config', config, '--playbooks', args.playbooks, '--listen', '127.0.0.1:0', '--print-port-file', portFile,
    '--bootstrap-token-file', tokenFile], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr.on('data', (d) => {
    log += d;
    if (log.length > 65536) log = log.slice(-32768);
  });
  let exited = null;
  child.on('exit', (code) => (exited = code));
  let port = 0;
  for (;;) {
    if (exited !== null) throw new Error(`reglamentd exited with ${exited}:\n${log}`);
    if (!port && fs.existsSync(portFile)) port = Number(fs.readFileSync(portFile, 'utf8').trim()) || 0;
    if (port) {
      try {
        const r = await request(port, 'GET', '/healthz');
        if (r.status === 200) break;
      } catch {}
    }
    await sleep(2);
  }
  const ready = Number(process.hrtime.bigint() - t0) / 1e9;
  return { child, port, ready, t0, log: () => log };
}
async function stopDaemon(d) {
  const done = new Promise((r) => d.child.once('exit', r));
  d.child.kill('SIGTERM');
  await done;
}

let inboundSeq = 0;
function inbound(sender, text) {
  ++inboundSeq;
  return { channel: 'email', external_id: `<bench.http.${process.pid}.${inboundSeq}@mail.example>`, sender, text, thread: `<t.${process.pid}.${inboundSeq}@mail.example>` };
}

const demoFirm = fs.readdirSync(path.join(args.playbooks, 'firm')).filter((f) => f.endsWith('.yaml'))[0];
const demoSenders = [...fs.readFileSync(path.join(args.playbooks, 'firm', demoFirm), 'utf8').matchAll(/email:\s*\[([^\]]+)\]/g)].map((m) => m[1].split(',')[0].trim());
const texts = [
  'Добрый день! Пришлите, пожалуйста, выписку из банка за октябрь.',
  'Здравствуйте. Нужно рассчитать зарплату за ноябрь и аванс.',
  'Подготовьте, пожалуйста, акт сверки с поставщиком за III квартал.',
  'Нужна справка об отсутствии задолженности для банка.',
  'Оформите приказ об отпуске для бухгалтера с 12 числа.',
  'Можно встретиться в офисе на следующей неделе?',
];

// 5. Restart with many idle open cases.
async function restart() {
  const store = path.join(work, 'idle', 'reglament.db');
  fs.mkdirSync(path.dirname(store), { recursive: true });
  progress(`restart: creating ${idleCases.toLocaleString('en')} open cases with timers`);
  execFileSync(args.bench, ['--playbooks', args.playbooks, '--make-idle-store', store, '--idle-cases', String(idleCases)], { stdio: ['ignore', 'ignore', 'inherit'] });
  const size = fs.statSync(store).size;
  notes.push(`Restart store: ${idleCases.toLocaleString('en')} open intake cases waiting on a timer (due within 30 days), 5 journal facts each; ${(size / 2 ** 20).toFixed(0)} MiB on disk.`);
  for (let r = 0; r <= runs; ++r) {
    progress(`restart: run ${r}/${runs}${r === 0 ? ' (warm-up)' : ''}`);
    const empty = await startDaemon(path.join(work, `empty-${r}`));
    const emptyRss = rss(empty.child.pid);
    await stopDaemon(empty);
    fs.rmSync(path.join(work, `empty-${r}`), { recursive: true, force: true });

    const d = await startDaemon(path.dirname(store));
    const readyRss = rss(d.child.pid);
    const first = await request(d.port, 'POST', '/api/v1/inbound', inbound(demoSenders[0], texts[0]));
    if (first.status !== 201) throw new Error(`first request after restart: ${first.status} ${first.body}`);
    const served = Number(process.hrtime.bigint() - d.t0) / 1e9;
    await stopDaemon(d);
    if (r === 0) continue;
    add(`Restart with ${idleCases.toLocaleString('en')} open cases: ready (/healthz answers)`, 's', d.ready);
    add(`Restart with ${idleCases.toLocaleString('en')} open cases: first request committed`, 's', served);
    add(`Restart with ${idleCases.toLocaleString('en')} open cases: resident memory when ready`, 'MiB', readyRss / 2 ** 20);
    add(`Restart: resident memory with an empty store`, 'MiB', emptyRss / 2 ** 20);
    add(`Restart: memory per idle open case`, 'bytes', Math.max(0, readyRss - emptyRss) / idleCases);
  }
  fs.rmSync(path.dirname(store), { recursive: true, force: true });
}

// 7. End to end over HTTP: POST /api/v1/inbound from `connections` keep-alive
// connections, each message a new case; latency from send to the 201.
async function endToEnd() {
  for (let r = 0; r <= runs; ++r) {
    progress(`http: run ${r}/${runs}${r === 0 ? ' (warm-up)' : ''}: ${httpRequests} requests over ${connections} connections`);
    const dir = path.join(work, `http-${r}`);
    const d = await startDaemon(dir);
    const n = r === 0 ? Math.min(2000, httpRequests) : httpRequests;
    const lat = new Float64Array(n);
    let next = 0;
    let failed = 0;
    const t0 = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: connections }, async () => {
        for (;;) {
          const i = next++;
          if (i >= n) return;
          const s = process.hrtime.bigint();
          const res = await request(d.port, 'POST', '/api/v1/inbound', inbound(demoSenders[i % demoSenders.length], texts[i % texts.length]));
          lat[i] = Number(process.hrtime.bigint() - s) / 1e6;
          if (res.status !== 201) ++failed;
        }
      }),
    );
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    await stopDaemon(d);
    fs.rmSync(dir, { recursive: true, force: true });
    if (failed) throw new Error(`http: ${failed} of ${n} requests were not 201`);
    if (r === 0) continue;
    const sorted = Array.from(lat).sort((a, b) => a - b);
    const q = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
    const name = `HTTP POST /api/v1/inbound, ${connections} connections`;
    add(`${name}: throughput`, 'requests/s', n / seconds);
    add(`${name}: latency p50`, 'ms', q(0.5));
    add(`${name}: latency p99`, 'ms', q(0.99));
    add(`${name}: latency p99.9`, 'ms', q(0.999));
  }
}

// 7b. End to end over the website chat: `chatConnections` visitors at a time, each on its
// own WebSocket to /chat/ws: hello, welcome (a new conversation and its token), one
// request, its echo (the message kept in webchat.db), then the playbook's greeting (the
// case committed, the outbox row delivered into the conversation and pushed to the open
// socket). `chatVisitors` visitors in all, each a new conversation and a new case.
function chatVisitor(port, text) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/chat/ws`);
    const t = { open: process.hrtime.bigint() };
    const id = crypto.randomBytes(8).toString('hex');
    const fail = (why) => {
      try { ws.close(); } catch {}
      reject(new Error(`chat: ${why}`));
    };
    const timer = setTimeout(() => fail('no greeting within 60 s'), 60000);
    ws.onerror = (e) => { clearTimeout(timer); fail(`socket error ${e.message ?? ''}`); };
    ws.onopen = () => ws.send(JSON.stringify({ type: 'hello', lang: 'ru' }));
    ws.onmessage = (ev) => {
      const f = JSON.parse(ev.data);
      if (f.type === 'welcome') {
        t.welcome = process.hrtime.bigint();
        ws.send(JSON.stringify({ type: 'message', id, text }));
      } else if (f.type === 'message' && f.from === 'visitor' && f.id === id) {
        t.echo = process.hrtime.bigint();
      } else if (f.type === 'message' && f.from === 'firm' && t.echo) {
        t.greeting = process.hrtime.bigint();
        clearTimeout(timer);
        ws.onclose = () => resolve(t);
        ws.close();
      } else if (f.type === 'error') {
        clearTimeout(timer);
        fail(`error frame ${ev.data}`);
      }
    };
  });
}

async function chatEndToEnd() {
  const config = `[channels.webchat]\nmax_connections = ${chatConnections + 100}\nnew_visitors_per_hour = 1000000\nnew_visitors_burst = ${chatVisitors + 100}\n`;
  for (let r = 0; r <= runs; ++r) {
    const n = r === 0 ? Math.min(400, chatVisitors) : chatVisitors;
    progress(`chat: run ${r}/${runs}${r === 0 ? ' (warm-up)' : ''}: ${n} visitors, ${chatConnections} at a time`);
    const dir = path.join(work, `chat-${r}`);
    const d = await startDaemon(dir, config);
    const toWelcome = new Float64Array(n), toEcho = new Float64Array(n), toGreeting = new Float64Array(n);
    let next = 0;
    const t0 = process.hrtime.bigint();
    try {
      await Promise.all(
        Array.from({ length: Math.min(chatConnections, n) }, async () => {
          for (;;) {
            const i = next++;
            if (i >= n) return;
            const t = await chatVisitor(d.port, texts[i % texts.length]);
            toWelcome[i] = Number(t.welcome - t.open) / 1e6;
            toEcho[i] = Number(t.echo - t.welcome) / 1e6;
            toGreeting[i] = Number(t.greeting - t.welcome) / 1e6;
          }
        }),
      );
    } catch (e) {
      await stopDaemon(d);
      throw new Error(`${e.message}; reglamentd log:\n${d.log().slice(-4000)}`);
    }
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    await stopDaemon(d);
    fs.rmSync(dir, { recursive: true, force: true });
    if (r === 0) continue;
    const q = (arr, p) => {
      const sorted = Array.from(arr).sort((a, b) => a - b);
      return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
    };
    const name = `WebSocket chat, ${chatConnections} visitors at a time`;
    add(`${name}: conversations (connect, hello, request, greeting)`, 'visitors/s', n / seconds);
    add(`${name}: connect + hello -> welcome p50`, 'ms', q(toWelcome, 0.5));
    add(`${name}: request -> kept (echo) p50`, 'ms', q(toEcho, 0.5));
    add(`${name}: request -> kept (echo) p99`, 'ms', q(toEcho, 0.99));
    add(`${name}: request -> greeting p50`, 'ms', q(toGreeting, 0.5));
    add(`${name}: request -> greeting p99`, 'ms', q(toGreeting, 0.99));
  }
}

// 8. Footprint: the demo firm with `footprintClients` clients, a day of traffic
// replayed fast, then idle; database size per 10,000 cases.
async function footprint() {
  const firmFile = path.join(work, 'firm-200.yaml');
  execFileSync(args.bench, ['--playbooks', args.playbooks, '--clients', String(footprintClients), '--write-firm', firmFile], { stdio: ['ignore', 'ignore', 'inherit'] });
  const senders = [...fs.readFileSync(firmFile, 'utf8').matchAll(/email: \[([^\]]+)\]/g)].map((m) => m[1].trim());
  for (let r = 0; r <= runs; ++r) {
    progress(`footprint: run ${r}/${runs}${r === 0 ? ' (warm-up)' : ''}: ${dayMessages} messages from ${footprintClients} clients, then ${idleSeconds} s idle`);
    const dir = path.join(work, `footprint-${r}`);
    const d = await startDaemon(dir, `[firm]\nfile = "${firmFile}"\n`);
    const startRss = rss(d.child.pid);
    // A working day: messages from the firm's clients, 8 at a time (a day's traffic
    // has little concurrency); half of them replies on a case already open.
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (;;) {
          const i = next++;
          if (i >= dayMessages) return;
          const sender = senders[(i * 7919) % senders.length];
          const m = inbound(sender, texts[i % texts.length]);
          if (i % 2) m.thread = `<day.${sender}@mail.example>`;
          const res = await request(d.port, 'POST', '/api/v1/inbound', m);
          if (res.status !== 201 && res.status !== 200) throw new Error(`footprint: ${res.status} ${res.body}`);
        }
      }),
    );
    await sleep(1500);  // the outbox drains and the checkpointer runs once
    const busyRss = rss(d.child.pid);
    // Case ids count up from 1: the newest id is the number of cases.
    const newest = JSON.parse((await request(d.port, 'GET', '/api/v1/cases?limit=1')).body).cases[0];
    const casesCount = newest ? newest.id : 0;
    const cpu0 = cpuSeconds(d.child.pid);
    await sleep(idleSeconds * 1000);
    const idleCpu = cpuSeconds(d.child.pid) - cpu0;
    const idleRss = rss(d.child.pid);
    await stopDaemon(d);
    const db = path.join(dir, 'reglament.db');
    const bytes = ['', '-wal'].reduce((s, x) => s + (fs.existsSync(db + x) ? fs.statSync(db + x).size : 0), 0);
    fs.rmSync(dir, { recursive: true, force: true });
    if (r === 0) continue;
    const name = `Footprint, ${footprintClients} clients`;
    add(`${name}: resident memory after start`, 'MiB', startRss / 2 ** 20);
    add(`${name}: resident memory after a day (${dayMessages} messages)`, 'MiB', busyRss / 2 ** 20);
    add(`${name}: resident memory idle after the day`, 'MiB', idleRss / 2 ** 20);
    add(`${name}: CPU while idle`, `% of a core over ${idleSeconds} s`, (100 * idleCpu) / idleSeconds);
    add(`${name}: database size per 10,000 cases`, 'MiB', (bytes / casesCount) * 10000 / 2 ** 20);
  }
}

try {
  if (args.only === undefined || args.only === 'restart') await restart();
  if (args.only === undefined || args.only === 'http') await endToEnd();
  if (args.only === undefined || args.only === 'chat') await chatEndToEnd();
  if (args.only === undefined || args.only === 'footprint') await footprint();
  progress('daemon: done\n');
  fs.writeFileSync(args.json, JSON.stringify({ section: 'daemon', measures, notes }, null, 1));
} finally {
  agent.destroy();
  fs.rmSync(work, { recursive: true, force: true });
}
