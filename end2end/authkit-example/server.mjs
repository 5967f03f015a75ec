// An application that signs people in through Roster the way the WorkOS AuthKit Node quickstart
// does, with the unmodified official SDKs, so the browser tests see what a real app sees:
//   /login, /signup, /callback, /, /logout  the quickstart, on node:http instead of Express;
//   /spa/                                   the same flows in the browser with authkit-js.
// playwright.config.ts starts it; by hand:
//   WORKOS_API_KEY=sk_... WORKOS_CLIENT_ID=client_... WORKOS_COOKIE_PASSWORD=<32+ chars> \
//   ROSTER_PORT=3100 PORT=4100 node server.mjs
import { createServer } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { WorkOS } from '@workos-inc/node';

const env = (name, fallback) => {
  const value = process.env[name] ?? fallback;
  if (value === undefined || value === '') {
    console.error(`${name} is not set`);
    process.exit(2);
  }
  return value;
};

const apiKey = env('WORKOS_API_KEY');
const clientId = env('WORKOS_CLIENT_ID');
const cookiePassword = env('WORKOS_COOKIE_PASSWORD');
const rosterHost = env('ROSTER_HOST', '127.0.0.1');
const rosterPort = Number(env('ROSTER_PORT'));
const port = Number(env('PORT', '4100'));
// Roster checks redirect and return URLs by exact match, so these must be the very strings
// the environment's settings list.
const origin = `http://127.0.0.1:${port}`;
const redirectUri = `${origin}/callback`;

const workos = new WorkOS(apiKey, { apiHostname: rosterHost, port: rosterPort, https: false, clientId });

// authkit-js ships no UMD build: dist/index.mjs is a self-contained ES module the page imports.
const require = createRequire(import.meta.url);
const authkitBundle = readFileSync(join(dirname(require.resolve('@workos-inc/authkit-js')), 'index.mjs'));

const SESSION_COOKIE = 'wos-session';
// Roster serves from the same host on another port, and cookies do not tell ports apart:
// a name of the app's own keeps it clear of Roster's cookies.
const STATE_COOKIE = 'authkit-example-state';

function cookies(req) {
  const jar = {};
  for (const pair of (req.headers.cookie ?? '').split(';')) {
    const at = pair.indexOf('=');
    if (at <= 0) continue;
    const value = pair.slice(at + 1).trim();
    try {
      jar[pair.slice(0, at).trim()] = decodeURIComponent(value);
    } catch {
      // Roster's own cookies reach this port too (same host); theirs need not be URI-encoded.
      jar[pair.slice(0, at).trim()] = value;
    }
  }
  return jar;
}

function cookie(name, value, { maxAge } = {}) {
  const parts = [`${name}=${encodeURIComponent(value)}`, 'Path=/', 'HttpOnly', 'SameSite=Lax'];
  if (maxAge !== undefined) parts.push(`Max-Age=${maxAge}`);
  return parts.join('; ');
}

const clearCookie = (name) => cookie(name, '', { maxAge: 0 });

const escapeHtml = (text) =>
  String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

function page(title, body) {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
  :root { color-scheme: light dark; font-family: system-ui, sans-serif; }
  main { max-width: 40rem; margin: 3rem auto; padding: 0 1rem; line-height: 1.5; }
  code { overflow-wrap: anywhere; }
</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

function send(res, status, html, headers = {}) {
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', ...headers });
  res.end(html);
}

function redirect(res, location, setCookies = []) {
  res.writeHead(302, { Location: location, 'Set-Cookie': setCookies, 'Cache-Control': 'no-store' });
  res.end();
}

// /login and /signup: to the hosted pages, with a state only this browser can bring back.
function startSignIn(res, screenHint) {
  const state = randomBytes(16).toString('hex');
  const authorizationUrl = workos.userManagement.getAuthorizationUrl({
    provider: 'authkit',
    redirectUri,
    clientId,
    state,
    ...(screenHint && { screenHint }),
  });
  redirect(res, authorizationUrl, [cookie(STATE_COOKIE, state, { maxAge: 600 })]);
}

function sameState(a, b) {
  const x = Buffer.from(a ?? '');
  const y = Buffer.from(b ?? '');
  return x.length > 0 && x.length === y.length && timingSafeEqual(x, y);
}

// The quickstart sends every failure back to /login; a page that says what failed lets a
// failing test show the reason instead of looping through sign-in until it times out.
function failed(res, status, what, error) {
  const detail = error ? `<pre>${escapeHtml(error.message ?? error)}</pre>` : '';
  send(res, status, page('Sign-in failed', `<h1>Sign-in failed</h1>\n<p role="alert">${escapeHtml(what)}</p>\n${detail}\n<p><a href="/">Home</a></p>`), {
    'Set-Cookie': [clearCookie(STATE_COOKIE)],
  });
}

async function callback(req, res, url) {
  const code = url.searchParams.get('code');
  if (!code) return failed(res, 400, url.searchParams.get('error_description') ?? 'No code provided.');
  if (!sameState(url.searchParams.get('state'), cookies(req)[STATE_COOKIE])) {
    return failed(res, 400, 'The state does not match the one this browser was sent with.');
  }
  try {
    const { sealedSession } = await workos.userManagement.authenticateWithCode({
      clientId,
      code,
      session: { sealSession: true, cookiePassword },
    });
    redirect(res, '/', [cookie(SESSION_COOKIE, sealedSession), clearCookie(STATE_COOKIE)]);
  } catch (error) {
    failed(res, 400, 'The code could not be exchanged.', error);
  }
}

/** The signed-in session of the request, refreshed and re-sealed when its access token ran out. */
async function withAuth(req, res) {
  const session = workos.userManagement.loadSealedSession({ sessionData: cookies(req)[SESSION_COOKIE], cookiePassword });
  const authResult = await session.authenticate();
  if (authResult.authenticated) return { session, auth: authResult };
  if (authResult.reason === 'no_session_cookie_provided') return { session: null };
  // The SDK reports an expired access token as `invalid_jwt`, like any other bad token; the
  // quickstart tries the refresh token either way.
  try {
    const refreshed = await session.refresh();
    if (!refreshed.authenticated) return { session: null, setCookies: [clearCookie(SESSION_COOKIE)] };
    redirect(res, req.url, [cookie(SESSION_COOKIE, refreshed.sealedSession)]);
    return { handled: true };
  } catch {
    return { session: null, setCookies: [clearCookie(SESSION_COOKIE)] };
  }
}

async function home(req, res) {
  const result = await withAuth(req, res);
  if (result.handled) return;
  if (!result.session) {
    const body = `<h1>AuthKit example</h1>
<p>You are signed out.</p>
<p><a href="/login">Sign in</a> or <a href="/signup">Sign up</a></p>
<p><a href="/spa/">The authkit-js page</a></p>`;
    return send(res, 200, page('AuthKit example', body), { 'Set-Cookie': result.setCookies ?? [] });
  }
  const { user, organizationId, sessionId } = result.auth;
  const organization = organizationId
    ? `<p>Organization: <code data-testid="organization-id">${escapeHtml(organizationId)}</code></p>`
    : '<p>No organization.</p>';
  const body = `<h1>AuthKit example</h1>
<p>Signed in as ${escapeHtml(user.email)}</p>
${organization}
<p>Session: <code data-testid="session-id">${escapeHtml(sessionId)}</code></p>
<p><a href="/logout">Sign out</a></p>`;
  send(res, 200, page('AuthKit example', body));
}

async function logout(req, res) {
  const session = workos.userManagement.loadSealedSession({ sessionData: cookies(req)[SESSION_COOKIE], cookiePassword });
  try {
    const url = await session.getLogoutUrl({ returnTo: `${origin}/` });
    redirect(res, url, [clearCookie(SESSION_COOKIE)]);
  } catch {
    // No live session to end at Roster: forgetting the cookie is all there is to do.
    redirect(res, '/', [clearCookie(SESSION_COOKIE)]);
  }
}

function spa(res) {
  const config = {
    clientId,
    apiHostname: rosterHost,
    port: rosterPort,
    redirectUri: `${origin}/spa/`,
  };
  const body = `<h1>AuthKit JS example</h1>
<p id="loading">Loading…</p>
<div id="signed-out" hidden>
  <p>You are signed out.</p>
  <button type="button" id="sign-in">Sign in</button>
</div>
<div id="signed-in" hidden>
  <p>Signed in as <span data-testid="spa-user"></span></p>
  <p>Session: <code data-testid="spa-session-id"></code></p>
  <p>Access token issued at: <code data-testid="spa-token-iat"></code></p>
  <button type="button" id="refresh">Refresh token</button>
  <button type="button" id="sign-out">Sign out</button>
</div>
<p role="alert" data-testid="spa-error"></p>
<script type="module">
import { createClient, getClaims } from '/spa/authkit.js';

const config = ${JSON.stringify(config).replace(/</g, '\\u003c')};
const $ = (selector) => document.querySelector(selector);
const showError = (error) => { $('[data-testid="spa-error"]').textContent = String(error?.message ?? error); };

function showToken(token) {
  const claims = getClaims(token);
  $('[data-testid="spa-session-id"]').textContent = claims.sid;
  $('[data-testid="spa-token-iat"]').textContent = String(claims.iat);
}

try {
  // devMode (a refresh token in localStorage instead of a cookie) follows from 127.0.0.1.
  const authkit = await createClient(config.clientId, {
    apiHostname: config.apiHostname,
    port: config.port,
    https: false,
    redirectUri: config.redirectUri,
  });
  $('#sign-in').addEventListener('click', () => authkit.signIn().catch(showError));
  $('#sign-out').addEventListener('click', () => {
    try {
      authkit.signOut({ returnTo: config.redirectUri });
    } catch (error) {
      showError(error);
    }
  });
  $('#refresh').addEventListener('click', async () => {
    try {
      showToken(await authkit.getAccessToken({ forceRefresh: true }));
    } catch (error) {
      showError(error);
    }
  });
  const user = authkit.getUser();
  if (user) {
    $('[data-testid="spa-user"]').textContent = user.email;
    showToken(await authkit.getAccessToken());
    $('#signed-in').hidden = false;
  } else {
    $('#signed-out').hidden = false;
  }
} catch (error) {
  showError(error);
} finally {
  $('#loading').hidden = true;
}
</script>`;
  send(res, 200, page('AuthKit JS example', body));
}

const server = createServer(async (req, res) => {
  const url = new URL(req.url, origin);
  try {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' });
      return res.end();
    }
    switch (url.pathname) {
      case '/':
        return await home(req, res);
      case '/login':
        return startSignIn(res);
      case '/signup':
        return startSignIn(res, 'sign-up');
      case '/callback':
        return await callback(req, res, url);
      case '/logout':
        return await logout(req, res);
      case '/spa':
        return redirect(res, '/spa/');
      case '/spa/':
        return spa(res);
      case '/favicon.ico':
        res.writeHead(204);
        return res.end();
      case '/spa/authkit.js':
        res.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'no-store' });
        return res.end(authkitBundle);
      default:
        return send(res, 404, page('Not found', '<h1>Not found</h1>'));
    }
  } catch (error) {
    console.error(error);
    if (!res.headersSent) send(res, 500, page('Error', `<h1>Error</h1><pre>${escapeHtml(error.message)}</pre>`));
    else res.end();
  }
});

server.listen(port, '127.0.0.1', () => console.log(`AuthKit example on ${origin} (Roster at ${rosterHost}:${rosterPort})`));
