/**
 * The test outbox behind the control plane's MAIL binding: `TestMailbox.send` takes what the
 * send_email binding takes (an `EmailMessage` from cloudflare:email, a plain object with its raw
 * MIME under "EmailMessage::raw" in the local runtime) and keeps the parsed mail in a table of the
 * test database (an entrypoint reached through a binding does not share the test's module state).
 */
import { env } from 'cloudflare:test';
import { WorkerEntrypoint } from 'cloudflare:workers';

export interface SentMail {
  from: string;
  to: string;
  headers: Record<string, string>;
  text: string;
}

const RAW = 'EmailMessage::raw';
const CREATE =
  'CREATE TABLE IF NOT EXISTS test_outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, recipient TEXT NOT NULL, mail TEXT NOT NULL)';

export class TestMailbox extends WorkerEntrypoint<{ DB: D1Database }> {
  async send(message: { from: string; to: string; [RAW]?: string | ReadableStream }): Promise<{ messageId: string }> {
    const raw = message[RAW];
    const mime = typeof raw === 'string' ? raw : await new Response(raw).text();
    const [head = '', ...body] = mime.split('\r\n\r\n');
    const headers = Object.fromEntries(
      head.split('\r\n').map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
    );
    const mail: SentMail = { from: message.from, to: message.to, headers, text: body.join('\r\n\r\n').replace(/\r\n/g, '\n') };
    await this.env.DB.batch([
      this.env.DB.prepare(CREATE),
      this.env.DB.prepare('INSERT INTO test_outbox (recipient, mail) VALUES (?, ?)').bind(message.to, JSON.stringify(mail)),
    ]);
    return { messageId: headers['message-id'] ?? '' };
  }
}

/** Mails sent to `to` so far, oldest first. */
export async function mailsTo(to: string): Promise<SentMail[]> {
  const db = (env as unknown as { DB: D1Database }).DB;
  await db.prepare(CREATE).run();
  const rows = await db.prepare('SELECT mail FROM test_outbox WHERE recipient = ? ORDER BY seq').bind(to).all<{ mail: string }>();
  return rows.results.map((r) => JSON.parse(r.mail) as SentMail);
}

/** The portal link of `view` (`verify`, `reset`) in the newest mail to `to`, and its token. */
export function linkIn(mail: SentMail | undefined, view: 'verify' | 'reset'): { url: string; token: string } | null {
  const m = new RegExp(`(https?://\\S+/#/${view}/(tp[vr]_[A-Za-z0-9_-]+))`).exec(mail?.text ?? '');
  return m === null ? null : { url: m[1] ?? '', token: m[2] ?? '' };
}
