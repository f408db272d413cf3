// Reglament website chat widget. A firm puts one tag on its site:
//   <script src="https://DAEMON/chat/widget.js" data-firm="FIRM" async></script>
// Optional: data-open="true" opens the chat at once. The widget talks to the daemon over
// a WebSocket (protocol: docs/CHANNELS.md, "Website chat"), keeps the visitor's token in
// localStorage and shows the conversation. Vanilla JS, no build step, nothing from other
// servers. Every text from the visitor or the firm goes in with textContent, never as HTML.
(function () {
  'use strict';

  var script = document.currentScript;
  if (!script || window.__reglamentChat) return;
  window.__reglamentChat = true;

  var src = new URL(script.src, location.href);
  var wsUrl = (src.protocol === 'https:' ? 'wss://' : 'ws://') + src.host + '/chat/ws';
  var firm = script.getAttribute('data-firm') || '';
  var lang = (document.documentElement.lang || '').toLowerCase().indexOf('en') === 0 ? 'en' : 'ru';
  var storeKey = 'reglament-chat:' + src.host + ':' + firm;

  var TEXTS = {
    ru: {
      launcher: 'Написать нам',
      title: 'Онлайн-чат',
      close: 'Закрыть чат',
      log: 'Переписка',
      intro: 'Здравствуйте! Напишите ваш вопрос — менеджер ответит здесь.',
      label: 'Сообщение',
      placeholder: 'Напишите сообщение…',
      send: 'Отправить',
      choices: 'Варианты ответа',
      you: 'Вы',
      firm: 'Менеджер',
      sending: 'отправляется…',
      connecting: 'Подключаемся…',
      offline: 'Нет связи с чатом. Переподключаемся…',
      unread: function (n) { return 'Новых сообщений: ' + n; },
      errors: {
        too_large: function (e) { return 'Сообщение слишком длинное (больше ' + (e.limit || '') + ' байт). Сократите его или отправьте частями.'; },
        empty_text: function () { return 'Пустое сообщение не отправлено.'; },
        bad_text: function () { return 'В сообщении есть символы, которые чат не принимает.'; },
        rate_limited: function (e) { return 'Слишком много сообщений подряд. Отправим через ' + (e.retry_after || 1) + ' с.'; },
        unavailable: function () { return 'Чат временно не может сохранить сообщение. Попробуем ещё раз.'; },
        not_accepted: function () { return 'Сообщение сохранено, но не передано менеджеру. Мы разберёмся и ответим.'; },
        too_many_connections: function () { return 'Чат открыт в слишком многих окнах. Закройте лишние.'; },
        too_many_visitors: function (e) { return 'Слишком много новых разговоров. Попробуйте через ' + (e.retry_after || 60) + ' с.'; },
        wrong_firm: function () { return 'Чат на этой странице настроен неверно (data-firm).'; },
        other: function (e) { return 'Ошибка чата: ' + e.message; }
      }
    },
    en: {
      launcher: 'Chat with us',
      title: 'Online chat',
      close: 'Close the chat',
      log: 'Conversation',
      intro: 'Hello! Write your question and a manager will answer here.',
      label: 'Message',
      placeholder: 'Write a message…',
      send: 'Send',
      choices: 'Answer options',
      you: 'You',
      firm: 'Manager',
      sending: 'sending…',
      connecting: 'Connecting…',
      offline: 'The chat is offline. Reconnecting…',
      unread: function (n) { return 'New messages: ' + n; },
      errors: {
        too_large: function (e) { return 'The message is too long (over ' + (e.limit || '') + ' bytes). Shorten it or send it in parts.'; },
        empty_text: function () { return 'An empty message was not sent.'; },
        bad_text: function () { return 'The message has characters the chat does not accept.'; },
        rate_limited: function (e) { return 'Too many messages in a row. Sending again in ' + (e.retry_after || 1) + ' s.'; },
        unavailable: function () { return 'The chat cannot save the message right now. We will try again.'; },
        not_accepted: function () { return 'The message was saved but not passed to a manager. We will look into it.'; },
        too_many_connections: function () { return 'The chat is open in too many windows. Close some of them.'; },
        too_many_visitors: function (e) { return 'Too many new conversations. Try again in ' + (e.retry_after || 60) + ' s.'; },
        wrong_firm: function () { return 'The chat on this page is misconfigured (data-firm).'; },
        other: function (e) { return 'Chat error: ' + e.message; }
      }
    }
  };
  var T = TEXTS[lang];

  var CSS = [
    ':host { all: initial; }',
    '.rg-root { position: fixed; right: 16px; bottom: 16px; z-index: 2147483000; font: 15px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; color: #1b1b1b; }',
    '.rg-sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }',
    'button { font: inherit; cursor: pointer; }',
    'button:focus-visible, textarea:focus-visible, .rg-log:focus-visible { outline: 3px solid #f0a500; outline-offset: 2px; }',
    '.rg-launcher { background: #1f4e79; color: #fff; border: 0; border-radius: 24px; padding: 12px 20px; box-shadow: 0 2px 8px rgba(0,0,0,.3); }',
    '.rg-panel { display: flex; flex-direction: column; width: 360px; max-width: calc(100vw - 32px); height: 520px; max-height: calc(100vh - 32px); background: #fff; border-radius: 12px; box-shadow: 0 4px 24px rgba(0,0,0,.3); overflow: hidden; }',
    '.rg-panel[hidden] { display: none; }',
    '.rg-head { display: flex; align-items: center; justify-content: space-between; background: #1f4e79; color: #fff; padding: 10px 14px; }',
    '.rg-head h2 { font-size: 16px; margin: 0; font-weight: 600; }',
    '.rg-close { background: transparent; color: #fff; border: 0; font-size: 22px; line-height: 1; padding: 2px 8px; }',
    '.rg-status { font-size: 13px; color: #6b4e00; background: #fff4d6; padding: 4px 14px; }',
    '.rg-status:empty { display: none; }',
    '.rg-log { flex: 1; overflow-y: auto; list-style: none; margin: 0; padding: 12px; background: #f4f6f8; }',
    '.rg-msg { max-width: 85%; margin: 0 0 10px; padding: 8px 12px; border-radius: 12px; background: #fff; border: 1px solid #d8dee4; }',
    '.rg-msg.rg-visitor { margin-left: auto; background: #dcebf8; border-color: #b6d2ea; }',
    '.rg-msg.rg-intro { color: #444; font-style: italic; }',
    '.rg-msg.rg-pending { opacity: .7; }',
    '.rg-text { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; }',
    '.rg-meta { display: block; font-size: 12px; color: #555; margin-top: 4px; }',
    '.rg-choices { display: flex; flex-wrap: wrap; gap: 6px; padding: 8px 12px 0; background: #f4f6f8; }',
    '.rg-choices:empty { display: none; }',
    '.rg-choice { background: #fff; color: #1f4e79; border: 1px solid #1f4e79; border-radius: 16px; padding: 6px 14px; }',
    '.rg-choice:hover { background: #e8f0f8; }',
    '.rg-error { font-size: 13px; color: #8a1c1c; background: #fde8e8; padding: 6px 14px; }',
    '.rg-error:empty { display: none; }',
    '.rg-form { display: flex; gap: 8px; padding: 10px; border-top: 1px solid #d8dee4; }',
    '.rg-form textarea { flex: 1; resize: none; font: inherit; padding: 8px; border: 1px solid #8c959f; border-radius: 8px; min-height: 40px; }',
    '.rg-send { background: #1f4e79; color: #fff; border: 0; border-radius: 8px; padding: 0 14px; }'
  ].join('\n');

  // --- State ------------------------------------------------------------------
  function load() {
    try {
      var s = JSON.parse(localStorage.getItem(storeKey) || '{}');
      return { token: typeof s.token === 'string' ? s.token : '', visitor: s.visitor || '',
               pending: Array.isArray(s.pending) ? s.pending : [] };
    } catch (e) {
      return { token: '', visitor: '', pending: [] };
    }
  }
  var saved = load();
  function save() {
    try { localStorage.setItem(storeKey, JSON.stringify(saved)); } catch (e) { /* private mode: this page only */ }
  }

  var ws = null;
  var ready = false;
  var lastSeq = 0;          // the last conversation entry shown (the page starts from 0: whole history)
  var retryMs = 1000;
  var reconnectTimer = null;
  var resendTimer = null;
  var stopped = false;      // a configuration error: do not reconnect
  var unread = 0;
  var textLimit = 4000;
  var lastEntry = null;     // the newest entry shown, for its buttons

  // --- DOM --------------------------------------------------------------------
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  var host = el('div');
  host.id = 'reglament-chat';
  host.setAttribute('data-state', 'connecting');
  var root = host.attachShadow({ mode: 'open' });
  if (root.adoptedStyleSheets !== undefined && typeof CSSStyleSheet === 'function' &&
      'replaceSync' in CSSStyleSheet.prototype) {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [sheet];
  } else {
    root.appendChild(el('style', '', CSS));
  }

  var wrap = el('div', 'rg-root');
  var launcher = el('button', 'rg-launcher', T.launcher);
  launcher.type = 'button';
  launcher.setAttribute('aria-expanded', 'false');
  launcher.setAttribute('aria-controls', 'rg-panel');

  var panel = el('section', 'rg-panel');
  panel.id = 'rg-panel';
  panel.hidden = true;
  panel.setAttribute('role', 'dialog');
  panel.setAttribute('aria-labelledby', 'rg-title');

  var head = el('div', 'rg-head');
  var title = el('h2', '', T.title);
  title.id = 'rg-title';
  var closeBtn = el('button', 'rg-close', '×');
  closeBtn.type = 'button';
  closeBtn.setAttribute('aria-label', T.close);
  head.appendChild(title);
  head.appendChild(closeBtn);

  var status = el('div', 'rg-status', T.connecting);
  status.setAttribute('role', 'status');

  var log = el('ol', 'rg-log');
  log.setAttribute('role', 'log');
  log.setAttribute('aria-live', 'polite');
  log.setAttribute('aria-label', T.log);
  log.tabIndex = 0;
  var intro = el('li', 'rg-msg rg-intro');
  intro.appendChild(el('p', 'rg-text', T.intro));
  log.appendChild(intro);

  var choices = el('div', 'rg-choices');
  choices.setAttribute('role', 'group');
  choices.setAttribute('aria-label', T.choices);

  var errorBox = el('div', 'rg-error');
  errorBox.setAttribute('role', 'alert');

  var form = el('form', 'rg-form');
  var label = el('label', 'rg-sr', T.label);
  label.htmlFor = 'rg-input';
  var input = el('textarea');
  input.id = 'rg-input';
  input.rows = 2;
  input.placeholder = T.placeholder;
  var sendBtn = el('button', 'rg-send', T.send);
  sendBtn.type = 'submit';
  form.appendChild(label);
  form.appendChild(input);
  form.appendChild(sendBtn);

  panel.appendChild(head);
  panel.appendChild(status);
  panel.appendChild(log);
  panel.appendChild(choices);
  panel.appendChild(errorBox);
  panel.appendChild(form);
  wrap.appendChild(launcher);
  wrap.appendChild(panel);
  root.appendChild(wrap);

  function isOpen() { return !panel.hidden; }
  function open() {
    panel.hidden = false;
    launcher.hidden = true;
    launcher.setAttribute('aria-expanded', 'true');
    unread = 0;
    updateLauncher();
    log.scrollTop = log.scrollHeight;
    input.focus();
  }
  function close() {
    panel.hidden = true;
    launcher.hidden = false;
    launcher.setAttribute('aria-expanded', 'false');
    launcher.focus();
  }
  function updateLauncher() {
    launcher.textContent = unread > 0 ? T.launcher + ' (' + unread + ')' : T.launcher;
    if (unread > 0) launcher.setAttribute('aria-label', T.launcher + '. ' + T.unread(unread));
    else launcher.removeAttribute('aria-label');
  }

  launcher.addEventListener('click', open);
  closeBtn.addEventListener('click', close);
  panel.addEventListener('keydown', function (e) {
    if (e.key === 'Escape') { e.preventDefault(); close(); }
  });
  input.addEventListener('keydown', function (e) {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); submit(); }
  });
  form.addEventListener('submit', function (e) { e.preventDefault(); submit(); });

  function setStatus(text, state) {
    status.textContent = text;
    host.setAttribute('data-state', state);
  }
  function showError(text) { errorBox.textContent = text; }
  function clearError() { errorBox.textContent = ''; }

  function timeText(iso) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) return '';
    return d.toLocaleTimeString(lang === 'en' ? 'en-GB' : 'ru-RU', { hour: '2-digit', minute: '2-digit' });
  }

  function bubble(from, text, meta) {
    var li = el('li', 'rg-msg ' + (from === 'visitor' ? 'rg-visitor' : 'rg-firm'));
    li.appendChild(el('span', 'rg-sr', (from === 'visitor' ? T.you : (title.textContent || T.firm)) + ':'));
    li.appendChild(el('p', 'rg-text', text));
    li.appendChild(el('span', 'rg-meta', meta));
    return li;
  }

  function pendingBubble(p) {
    var li = bubble('visitor', p.text, T.sending);
    li.classList.add('rg-pending');
    li.setAttribute('data-id', p.id);
    log.appendChild(li);
  }
  function dropPendingBubble(id) {
    var items = log.querySelectorAll('.rg-pending');
    for (var i = 0; i < items.length; i++)
      if (items[i].getAttribute('data-id') === id) items[i].remove();
  }
  function firstPendingBubble() { return log.querySelector('.rg-pending'); }

  function showEntry(m) {
    if (m.seq <= lastSeq) return;  // already shown: never twice
    lastSeq = m.seq;
    var li = bubble(m.from, m.text, timeText(m.at));
    li.setAttribute('data-seq', String(m.seq));
    if (m.id) {
      dropPendingBubble(m.id);
      forgetPending(m.id);
    }
    // Entries go above messages still being sent.
    log.insertBefore(li, firstPendingBubble());
    lastEntry = m;
    showChoices();
    if (m.from === 'firm' && !isOpen()) {
      unread += 1;
      updateLauncher();
    }
    log.scrollTop = log.scrollHeight;
  }

  // The newest entry's buttons, while the visitor has not answered it.
  function showChoices() {
    choices.textContent = '';
    if (!lastEntry || lastEntry.from !== 'firm' || !Array.isArray(lastEntry.buttons)) return;
    lastEntry.buttons.forEach(function (labelText) {
      var b = el('button', 'rg-choice', String(labelText));
      b.type = 'button';
      b.addEventListener('click', function () {
        choices.textContent = '';
        queueMessage(String(labelText));
        input.focus();
      });
      choices.appendChild(b);
    });
  }

  // --- Sending ----------------------------------------------------------------
  function newId() {
    var a = new Uint8Array(12);
    crypto.getRandomValues(a);
    return Array.prototype.map.call(a, function (x) { return ('0' + x.toString(16)).slice(-2); }).join('');
  }
  function forgetPending(id) {
    saved.pending = saved.pending.filter(function (p) { return p.id !== id; });
    save();
  }
  function transmit(p) {
    if (ws && ready) ws.send(JSON.stringify({ type: 'message', id: p.id, text: p.text }));
  }
  function queueMessage(text) {
    var p = { id: newId(), text: text };
    saved.pending.push(p);
    save();
    pendingBubble(p);
    log.scrollTop = log.scrollHeight;
    transmit(p);
  }
  function submit() {
    var text = input.value.trim();
    if (!text) return;
    clearError();
    input.value = '';
    choices.textContent = '';
    queueMessage(text);
  }

  // --- Connection ---------------------------------------------------------------
  function handle(f) {
    if (f.type === 'welcome') {
      ready = true;
      retryMs = 1000;
      if (f.token) saved.token = f.token;
      saved.visitor = f.visitor;
      save();
      host.setAttribute('data-visitor', f.visitor);
      if (f.firm) title.textContent = f.firm;
      if (f.limits && f.limits.text_bytes) textLimit = f.limits.text_bytes;
      setStatus('', 'online');
      saved.pending.forEach(transmit);
    } else if (f.type === 'message') {
      showEntry(f);
    } else if (f.type === 'ack') {
      dropPendingBubble(f.id);
      forgetPending(f.id);
    } else if (f.type === 'error') {
      onError(f);
    }
  }

  function onError(e) {
    if (!e.limit) e.limit = textLimit;
    var say = T.errors[e.code] || T.errors.other;
    showError(say(e));
    if (e.code === 'unknown_token' || e.code === 'bad_token') {
      // The daemon does not know this conversation (a new database): start a new one.
      saved.token = '';
      saved.visitor = '';
      save();
      clearError();
      return;
    }
    if (e.code === 'wrong_firm') { stopped = true; return; }
    if (!e.id) return;
    var p = saved.pending.filter(function (x) { return x.id === e.id; })[0];
    if (e.code === 'rate_limited' || e.code === 'unavailable') {
      // Kept: sent again later.
      clearTimeout(resendTimer);
      resendTimer = setTimeout(function () { saved.pending.forEach(transmit); }, (e.retry_after || 5) * 1000);
      return;
    }
    if (e.code === 'not_accepted') return;
    // The daemon will never take this one as it is: give the text back to edit.
    dropPendingBubble(e.id);
    forgetPending(e.id);
    if (p && !input.value) input.value = p.text;
  }

  function connect() {
    if (stopped) return;
    reconnectTimer = null;
    ready = false;
    try {
      ws = new WebSocket(wsUrl);
    } catch (e) {
      return scheduleReconnect();
    }
    ws.onopen = function () {
      var hello = { type: 'hello', after: lastSeq, lang: lang, firm: firm };
      if (saved.token) hello.token = saved.token;
      ws.send(JSON.stringify(hello));
    };
    ws.onmessage = function (ev) {
      var f;
      try { f = JSON.parse(ev.data); } catch (e) { return; }
      handle(f);
    };
    ws.onclose = function () {
      ws = null;
      ready = false;
      if (stopped) return;
      setStatus(T.offline, 'offline');
      scheduleReconnect();
    };
  }
  function scheduleReconnect() {
    if (reconnectTimer || stopped) return;
    reconnectTimer = setTimeout(connect, retryMs);
    retryMs = Math.min(retryMs * 2, 30000);
  }
  window.addEventListener('online', function () {
    if (!ws && reconnectTimer) { clearTimeout(reconnectTimer); reconnectTimer = null; connect(); }
  });

  function mount() {
    document.body.appendChild(host);
    saved.pending.forEach(pendingBubble);
    if (script.getAttribute('data-open') === 'true') open();
    connect();
  }
  if (document.body) mount();
  else document.addEventListener('DOMContentLoaded', mount);
})();
