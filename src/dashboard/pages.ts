// The two HTML documents the gateway renders for /dashboard: the sign-in form and the app's shell
// (which loads the web app's modules). Everything else the browser gets is a static file.

import { createHash } from 'node:crypto';
import { IMPORT_MAP } from './assets.js';

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const IMPORT_MAP_TEXT = JSON.stringify(IMPORT_MAP);
const IMPORT_MAP_HASH = createHash('sha256').update(IMPORT_MAP_TEXT).digest('base64');

/**
 * No inline script but the import map (allowed by its hash), nothing from another origin, no
 * framing. Inline styles are allowed: the charting library styles its tooltips inline.
 */
export const APP_CSP = [
  "default-src 'none'",
  `script-src 'self' 'sha256-${IMPORT_MAP_HASH}'`,
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

export const SIGN_IN_CSP = "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export function signInPage(message?: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · Tollgate</title><link rel="stylesheet" href="/dashboard/app/style.css"></head>
<body class="sign-in"><main>
<h1>Tollgate</h1>
<p>Sign in with an admin key. The gateway keeps you signed in with a session cookie for 8 hours; the key is not stored in the browser.</p>
${message ? `<p class="error" role="alert">${escapeHtml(message)}</p>` : ''}
<form method="post" action="/dashboard/sign-in">
<label for="key">Admin key</label>
<input id="key" name="key" type="password" autocomplete="off" required autofocus>
<button type="submit">Sign in</button>
</form>
<p class="hint">Scripts and reverse proxies can send <code>Authorization: Bearer &lt;admin key&gt;</code> instead.</p>
</main></body></html>`;
}

export function appPage(who: { keyId: string; team?: string; viaSession: boolean }): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tollgate dashboard</title>
<link rel="stylesheet" href="/dashboard/app/style.css">
<script type="importmap">${IMPORT_MAP_TEXT}</script>
<link rel="modulepreload" href="/dashboard/vendor/echarts.mjs">
<link rel="modulepreload" href="/dashboard/vendor/preact.mjs">
<script type="module" src="/dashboard/app/main.js"></script>
</head>
<body data-key-id="${escapeHtml(who.keyId)}"${who.team !== undefined ? ` data-team="${escapeHtml(who.team)}"` : ''} data-session="${who.viaSession ? 'cookie' : 'header'}">
<div id="app"><p class="loading">Loading…</p></div>
</body></html>`;
}
