// The widgets page: the official @workos-inc/widgets components, unmodified, as an app embeds
// them, talking straight from the browser to Roster's /_widgets API (another origin, so every
// call is a CORS request). Which widget, as whom and in which organization come from the URL:
//   /?widget=users-management&email=liam.nguyen@acme.test&org=org_...
// The widget token comes from this app's own backend (/token, the official Node SDK), through
// a function rather than a string, so the widgets can ask for a fresh one: on a 403, before
// the token's exp, and after the organization switcher changed organization.
import '@radix-ui/themes/styles.css';
import '@workos-inc/widgets/styles.css';
import * as React from 'react';
import { createRoot } from 'react-dom/client';
import {
  OrganizationSwitcher,
  UserProfile,
  UserSecurity,
  UserSessions,
  UsersManagement,
  WorkOsWidgets,
} from '@workos-inc/widgets';

/** Where Roster is, as server.mjs was told (ROSTER_HOST / ROSTER_PORT). */
const config = JSON.parse(document.getElementById('config').textContent);

const WIDGETS = {
  'users-management': { name: 'Users management', render: (authToken) => <UsersManagement authToken={authToken} /> },
  'user-profile': { name: 'User profile', render: (authToken) => <UserProfile authToken={authToken} /> },
  'user-sessions': { name: 'User sessions', render: (authToken) => <UserSessions authToken={authToken} /> },
  'user-security': { name: 'User security', render: (authToken) => <UserSecurity authToken={authToken} /> },
  'organization-switcher': {
    name: 'Organization switcher',
    render: (authToken, switchToOrganization) => (
      <OrganizationSwitcher authToken={authToken} switchToOrganization={switchToOrganization} />
    ),
  },
};

function App() {
  const params = new URLSearchParams(window.location.search);
  const widget = params.get('widget') ?? '';
  const email = params.get('email') ?? '';
  const [organizationId, setOrganizationId] = React.useState(params.get('org') ?? '');
  const [tokenError, setTokenError] = React.useState('');
  const [tokensFetched, setTokensFetched] = React.useState(0);
  // One stable authToken function for the page's life, reading the organization from a ref:
  // after a switch the widgets re-run it and must get a token for the new organization.
  const organizationRef = React.useRef(organizationId);

  const authToken = React.useCallback(async () => {
    const query = new URLSearchParams({ widget, email });
    if (organizationRef.current) query.set('org', organizationRef.current);
    const response = await fetch(`/token?${query}`, { cache: 'no-store' });
    const body = await response.json().catch(() => ({}));
    if (!response.ok || typeof body.token !== 'string') {
      // The widget would only keep showing its loading state; say why on the page too.
      const message = body.message ?? `The token request failed (${response.status}).`;
      setTokenError(message);
      throw new Error(message);
    }
    setTokenError('');
    setTokensFetched((count) => count + 1);
    return body.token;
  }, [widget, email]);

  // OrganizationSwitcher calls this with the picked organization, then (once it resolves)
  // re-runs authToken and refetches its data; the page's URL follows, so a reload stays there.
  const switchToOrganization = React.useCallback(async ({ organizationId: next }) => {
    organizationRef.current = next;
    setOrganizationId(next);
    const url = new URL(window.location.href);
    url.searchParams.set('org', next);
    window.history.replaceState(null, '', url);
  }, []);

  const chosen = WIDGETS[widget];
  if (!chosen) {
    return (
      <main>
        <h1>Widgets example</h1>
        <p>Pick a widget with <code>?widget=</code>, and the user with <code>&amp;email=</code>:</p>
        <ul>
          {Object.entries(WIDGETS).map(([id, { name }]) => (
            <li key={id}>
              <code>{id}</code>: {name}
            </li>
          ))}
        </ul>
      </main>
    );
  }

  return (
    <main>
      <h1>{chosen.name}</h1>
      <dl>
        <dt>User</dt>
        <dd data-testid="user-email">{email}</dd>
        <dt>Organization</dt>
        <dd data-testid="organization-id">{organizationId || 'none'}</dd>
        <dt>Tokens fetched</dt>
        <dd data-testid="tokens-fetched">{tokensFetched}</dd>
      </dl>
      <p role="alert" data-testid="token-error">
        {tokenError}
      </p>
      <WorkOsWidgets apiHostname={config.apiHostname} port={config.port} https={false}>
        {chosen.render(authToken, switchToOrganization)}
      </WorkOsWidgets>
    </main>
  );
}

createRoot(document.getElementById('root')).render(<App />);
