// Interface strings: Russian by default, English on the switch. Strings live in
// web/i18n/ru.js and en.js (one object each, keys grouped by page); t(key, {name: v})
// fills {name} placeholders. A key missing in English falls back to Russian, a key
// missing everywhere shows itself (so it is noticed). Pages may add strings with add().
import ru from '../i18n/ru.js';
import en from '../i18n/en.js';

const bundles = { ru: { ...ru }, en: { ...en } };
export const LANGS = ['ru', 'en'];
const STORAGE_KEY = 'reglament.lang';

let lang = (() => {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (LANGS.includes(saved)) return saved;
  } catch { /* storage may be off */ }
  return 'ru';
})();
const listeners = new Set();

export function getLang() { return lang; }
export function locale() { return lang === 'ru' ? 'ru-RU' : 'en-GB'; }

export function setLang(next) {
  if (!LANGS.includes(next) || next === lang) return;
  lang = next;
  try { localStorage.setItem(STORAGE_KEY, next); } catch { /* ignore */ }
  document.documentElement.lang = next;
  for (const f of listeners) f(next);
}

export function onLangChange(f) {
  listeners.add(f);
  return () => listeners.delete(f);
}

export function add(language, strings) {
  Object.assign(bundles[language] ||= {}, strings);
}

export function has(key) {
  return key in bundles[lang] || key in bundles.ru;
}

export function t(key, params) {
  let text = bundles[lang][key] ?? bundles.ru[key] ?? key;
  if (typeof text === 'function') return text(params || {});
  if (params) text = text.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
  return text;
}

// Russian plural forms: plural(3, ['заявка', 'заявки', 'заявок']) → 'заявки'.
export function plural(n, forms) {
  if (lang !== 'ru') return Math.abs(n) === 1 ? forms[0] : forms[forms.length - 1];
  const a = Math.abs(n) % 100, b = a % 10;
  if (a > 10 && a < 20) return forms[2];
  if (b > 1 && b < 5) return forms[1];
  if (b === 1) return forms[0];
  return forms[2];
}

document.documentElement.lang = lang;
