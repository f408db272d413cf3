// Live updates: one EventSource on GET /api/v1/events for the whole app. Events:
//   case   {id, created, status_changed, kinds, seq}  — a case changed or was created
//   outbox {case, n, state}                           — a message was queued, sent, failed
//   channel {name, state, inbound, outbound}          — a channel started or stopped failing
//   reconnect {}                                      — the stream came back: reload lists
// The browser reconnects by itself; listeners get every event as (name, data).
const listeners = new Set();
const stateListeners = new Set();
let source = null;
let connected = false;
let everConnected = false;

function emit(name, data) {
  for (const f of listeners) {
    try { f(name, data); } catch (e) { console.error(e); }
  }
}

function setConnected(v) {
  if (v === connected) return;
  connected = v;
  for (const f of stateListeners) f(v);
}

export function start() {
  if (source || typeof EventSource === 'undefined') return;
  source = new EventSource('/api/v1/events');
  source.addEventListener('open', () => {
    if (everConnected) emit('reconnect', {});
    everConnected = true;
    setConnected(true);
  });
  source.addEventListener('error', () => setConnected(false));
  for (const name of ['case', 'outbox', 'channel']) {
    source.addEventListener(name, (ev) => {
      let data = {};
      try { data = JSON.parse(ev.data); } catch { /* keep {} */ }
      emit(name, data);
    });
  }
}

export function stop() {
  if (source) source.close();
  source = null;
  everConnected = false;
  setConnected(false);
}

export function subscribe(f) { listeners.add(f); return () => listeners.delete(f); }
export function onState(f) { stateListeners.add(f); f(connected); return () => stateListeners.delete(f); }
export function isConnected() { return connected; }
