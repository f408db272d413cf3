// The login screen (not a routed page: shown whenever there is no signed-in user).
import { h, replace, uid } from '../lib/dom.js';
import { t, getLang, setLang, LANGS } from '../lib/i18n.js';
import { login } from '../lib/session.js';

export function renderLogin(root, done) {
  const loginId = uid('login'), passId = uid('password');
  const error = h('p', { class: 'error', role: 'alert', 'aria-live': 'assertive' });
  const loginInput = h('input', { id: loginId, name: 'login', autocomplete: 'username', required: true, autocapitalize: 'none', spellcheck: 'false' });
  const passInput = h('input', { id: passId, name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const submit = h('button', { type: 'submit', class: 'primary' }, t('login.submit'));
  const form = h('form', {
    class: 'login card', novalidate: true,
    onsubmit: async (e) => {
      e.preventDefault();
      error.textContent = '';
      if (!loginInput.value || !passInput.value) {
        error.textContent = t('login.empty');
        (loginInput.value ? passInput : loginInput).focus();
        return;
      }
      submit.disabled = true;
      try {
        await login(loginInput.value.trim(), passInput.value);
        passInput.value = '';
        await done();
      } catch (err) {
        const key = err.status === 401 ? 'login.wrong' : err.status === 429 ? 'login.throttled' : err.status === 403 ? 'login.disabled' : 'login.failed';
        error.textContent = t(key, { message: err.message });
        passInput.value = '';
        passInput.focus();
      } finally {
        submit.disabled = false;
      }
    },
  },
  h('h1', null, t('app.name')),
  h('p', { class: 'muted' }, t('login.intro')),
  h('label', { for: loginId }, t('login.login')), loginInput,
  h('label', { for: passId }, t('login.password')), passInput,
  error, submit,
  h('div', { class: 'langs', role: 'group', 'aria-label': t('lang.switch') },
    LANGS.map((l) => h('button', { type: 'button', class: l === getLang() ? 'lang active' : 'lang', 'aria-pressed': String(l === getLang()), onclick: () => setLang(l) }, l.toUpperCase()))));
  replace(root, h('main', { id: 'main', class: 'login-page' }, form));
  loginInput.focus();
}
