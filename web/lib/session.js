// Who is using the app. With authentication on the server (GET /api/v1/auth/me answers),
// the user logs in; on a server without it (the endpoint is missing: 404) the app runs in
// "open" mode as the owner, as the API itself is open then.
import { api, ApiError, setCsrf } from './api.js';

export const ROLES = ['manager', 'director', 'owner'];
// Role sets for page registration: who may open the page.
export const STAFF = ['manager', 'director', 'owner'];
export const DIRECTORS = ['director', 'owner'];
export const OWNER = ['owner'];

let current = null;  // {mode: 'auth'|'open', user: {login, name, role} | null}

export function session() { return current; }
export function user() { return current && current.user; }
export function can(roles) { const u = user(); return Boolean(u && roles.includes(u.role)); }

export async function loadSession() {
  try {
    const me = await api.get('/api/v1/auth/me', { quiet401: true });
    setCsrf(me.csrf_token);
    current = { mode: 'auth', user: me.user };
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    if (e.status === 404) current = { mode: 'open', user: { login: '', name: '', role: 'owner', open: true } };
    else if (e.status === 401) current = { mode: 'auth', user: null };
    else throw e;
  }
  return current;
}

export async function login(loginName, password) {
  const r = await api.post('/api/v1/auth/login', { login: loginName, password }, { quiet401: true });
  setCsrf(r.csrf_token);
  current = { mode: 'auth', user: r.user };
  return current;
}

export async function logout() {
  try {
    await api.post('/api/v1/auth/logout', {}, { quiet401: true });
  } catch { /* the session may have expired already */ }
  setCsrf(null);
  current = { mode: 'auth', user: null };
}

export function forget() {
  setCsrf(null);
  if (current) current = { ...current, user: null };
}
