// Dates, durations and money in the interface language.
import { locale, t, plural, getLang } from './i18n.js';

export function dateTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return new Intl.DateTimeFormat(locale(), { day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit' }).format(d);
}

export function date(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return new Intl.DateTimeFormat(locale(), { day: '2-digit', month: '2-digit', year: 'numeric' }).format(d);
}

export function time(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return new Intl.DateTimeFormat(locale(), { hour: '2-digit', minute: '2-digit' }).format(d);
}

// 135 → "2 ч 15 мин" / "2 h 15 min".
export function minutes(total) {
  if (total === null || total === undefined || Number.isNaN(total)) return '—';
  const m = Math.round(Math.abs(total));
  const hours = Math.floor(m / 60), rest = m % 60;
  const parts = [];
  if (hours) parts.push(`${hours} ${t('unit.h')}`);
  if (rest || !hours) parts.push(`${rest} ${t('unit.min')}`);
  return parts.join(' ');
}

export function money(rubles) {
  if (rubles === null || rubles === undefined) return '—';
  return new Intl.NumberFormat(locale(), { style: 'currency', currency: 'RUB', maximumFractionDigits: 2 }).format(rubles);
}

export function count(n, forms) {
  return `${n} ${plural(n, forms)}`;
}

export function percent(x) {
  if (x === null || x === undefined) return '—';
  return new Intl.NumberFormat(locale(), { style: 'percent', maximumFractionDigits: 0 }).format(x);
}

export function isRu() { return getLang() === 'ru'; }
