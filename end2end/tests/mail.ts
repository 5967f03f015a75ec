// Reading what Roster mailed from the real SMTP server playwright.config.ts starts: aiosmtpd
// keeps each message as JSON in E2E_SMTP_DIR/out, named in the order the messages arrived.
import { expect } from '@playwright/test';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Mail {
  /** The file's name: later messages sort after earlier ones. */
  name: string;
  rcpt_tos: string[];
  /** Decoded headers, with lower-case names. */
  headers: Record<string, string>;
  /** The body of each text part by content type (`text/plain`, `text/html`). */
  parts: Record<string, string>;
}

const smtpOut = () => join(process.env.E2E_SMTP_DIR ?? '', 'out');

/** Every message received so far, oldest first. */
export function allMail(): Mail[] {
  return readdirSync(smtpOut())
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => ({ name, ...JSON.parse(readFileSync(join(smtpOut(), name), 'utf8')) }));
}

/**
 * Where the mail stands now: pass it as `after` to read only what an action sends next, so an
 * older message to the same address (or a code that happens to repeat) is never taken for it.
 */
export function mailMark(): string {
  try {
    return allMail().pop()?.name ?? '';
  } catch {
    return ''; // nothing received yet: the folder appears with the first message
  }
}

/**
 * What `pick` finds in the newest message to `email` it finds anything in, once one arrives;
 * with `after`, only in messages received since that mark, with `not`, a value other than that.
 */
export async function mailed<T>(
  email: string,
  what: string,
  pick: (mail: Mail) => T | null | undefined,
  { after, not }: { after?: string; not?: T } = {},
): Promise<T> {
  let found: T | undefined;
  await expect(async () => {
    const value = allMail()
      .filter((mail) => (after === undefined || mail.name > after) && mail.rcpt_tos.includes(email))
      .map(pick)
      .filter((value): value is T => value !== null && value !== undefined)
      .pop();
    expect(value, `${what} mailed to ${email}`).toBeTruthy();
    if (not !== undefined) expect(value).not.toBe(not);
    found = value;
  }).toPass({ timeout: 20_000 });
  return found!;
}

/** The six-digit code in the text part of the newest message with this subject. */
export function mailedCode(email: string, subject: string, after?: string): Promise<string> {
  return mailed(
    email,
    `a “${subject}” code`,
    (mail) => (mail.headers.subject === subject ? String(mail.parts['text/plain'] ?? '').match(/\b\d{6}\b/)?.[0] : undefined),
    { after },
  );
}

/**
 * The path and query of the newest `path?token=…` link in a text part (the host is the one
 * the server was told it serves, so tests open it relative to their own base URL).
 */
export function mailedLink(email: string, path: string, { after, not }: { after?: string; not?: string } = {}): Promise<string> {
  const pattern = new RegExp(`https?://[^\\s]+${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\?token=[\\w-]+`);
  return mailed(
    email,
    `a ${path} link`,
    (mail) => {
      const match = String(mail.parts['text/plain'] ?? '').match(pattern);
      if (!match) return undefined;
      const url = new URL(match[0]);
      return url.pathname + url.search;
    },
    { after, not },
  );
}
