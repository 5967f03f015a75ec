// An application embedding the official WorkOS Widgets (page.jsx, bundled by build.mjs) the
// way the WorkOS docs describe, pointed at Roster, so the browser tests see what a real app
// sees: its backend mints widget tokens with the official Node SDK, and the browser calls
// Roster's /_widgets API directly, from this app's origin.
//   /                         the page; ?widget=…&email=…&org=… choose what it shows
//   /page.js, /page.css       the bundle (built at start when dist/ is missing or stale)
//   /token?widget=&email=&org=  {token} from workos.widgets.getToken, or {message} on failure
// The app has no sign-in of its own: it acts for whoever `email` names, which is fine for a
// test fixture on 127.0.0.1 and nothing else.
// playwright.config.ts starts it; by hand:
//   WORKOS_API_KEY=sk_... ROSTER_PORT=3100 PORT=4600 node server.mjs
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WorkOS } from '@workos-inc/node';
import { build, distDir, upToDate } from './build.mjs';

const env = (name, fallback) => {
  const value = process.env[name] ?? fallback;
  if (value === undefined || value === '') {
    console.error(`${name} is not set`);
    process.exit(2);
  }
  return value;
};

const apiKey = env('WORKOS_API_KEY');
const rosterHost = env('ROSTER_HOST', '127.0.0.1');
const rosterPort = Number(env('ROSTER_PORT'));
const port = Number(env('PORT', '4600'));
const origin = `http://127.0.0.1:${port}`;

const workos = new WorkOS(apiKey, { apiHostname: rosterHost, port: rosterPort, https: false });

// What each widget's token asks for. Only the users table checks a scope (the widget reads
// `permissions` from the token and refuses without it); the others act on the token's own
// user, so their tokens ask for none, which also lets a plain member use them.
const SCOPES = {
  'users-management': ['widgets:users-table:manage'],
  'user-profile': [],
  'user-sessions': [],
  'user-security': [],
  'organization-switcher': [],
};

if (!upToDate()) {
  console.log('building the widgets bundle');
  await build();
}
// Read once: the bundle does not change while the server runs.
const assets = {
  '/page.js': { type: 'text/javascript; charset=utf-8', body: readFileSync(join(distDir, 'page.js')) },
  '/page.js.map': { type: 'application/json', body: readFileSync(join(distDir, 'page.js.map')) },
  '/page.css': { type: 'text/css; charset=utf-8', body: readFileSync(join(distDir, 'page.css')) },
  '/page.css.map': { type: 'application/json', body: readFileSync(join(distDir, 'page.css.map')) },
};

function page() {
  // The page reads Roster's address from here: the browser must call Roster itself.
  const config = { apiHostname: rosterHost, port: rosterPort };
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Widgets example</title>
<link rel="stylesheet" href="/page.css">
<style>
  body { margin: 0; font-family: system-ui, sans-serif; }
  main { max-width: 56rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.5; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: 0 1rem; }
  dd { margin: 0; overflow-wrap: anywhere; }
  [role="alert"]:empty { display: none; }
  [role="alert"] { color: #b00020; }
</style>
<script id="config" type="application/json">${JSON.stringify(config).replace(/</g, '\\u003c')}</script>
<script type="module" src="/page.js"></script>
</head>
<body>
<div id="root"></div>
</body>
</html>
`;
}

function send(res, status, type, body) {
  res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' });
  res.end(body);
}

const json = (res, status, value) => send(res, status, 'application/json', JSON.stringify(value));

/** A widget token for the user with this email, in this organization, for this widget. */
async function token(res, url) {
  const widget = url.searchParams.get('widget') ?? '';
  const email = url.searchParams.get('email') ?? '';
  const organizationId = url.searchParams.get('org') || undefined;
  const scopes = SCOPES[widget];
  if (!scopes) return json(res, 400, { message: `Unknown widget “${widget}”.` });
  if (!email) return json(res, 400, { message: 'Say whose token with ?email=.' });
  try {
    const { data: users } = await workos.userManagement.listUsers({ email });
    const user = users.find((candidate) => candidate.email.toLowerCase() === email.toLowerCase());
    if (!user) return json(res, 404, { message: `No user has the email ${email}.` });
    // v8 returns the token string itself (v9+ createToken returns {token}). The v8 type wants
    // an organization; without one the token is the user's alone, as the WorkOS docs allow.
    const widgetToken = await workos.widgets.getToken({
      organizationId,
      userId: user.id,
      ...(scopes.length > 0 && { scopes }),
    });
    return json(res, 200, { token: widgetToken });
  } catch (error) {
    // The SDK's exceptions carry Roster's status and message; pass both on, so the page (and a
    // test) can tell a refusal from a failure.
    const status = Number.isInteger(error?.status) && error.status >= 400 ? error.status : 502;
    return json(res, status, { message: error?.message ?? String(error) });
  }
}

const server = createServer(async (req, res) => {
  const url = new URL(req.url, origin);
  try {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' });
      return res.end();
    }
    if (url.pathname === '/') return send(res, 200, 'text/html; charset=utf-8', page());
    if (url.pathname === '/token') return await token(res, url);
    if (url.pathname === '/favicon.ico') {
      res.writeHead(204);
      return res.end();
    }
    const asset = assets[url.pathname];
    if (asset) return send(res, 200, asset.type, asset.body);
    return send(res, 404, 'text/html; charset=utf-8', '<!doctype html><title>Not found</title><h1>Not found</h1>');
  } catch (error) {
    console.error(error);
    if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', `Error: ${error.message}`);
    else res.end();
  }
});

server.listen(port, '127.0.0.1', () => console.log(`Widgets example on ${origin} (Roster at ${rosterHost}:${rosterPort})`));
