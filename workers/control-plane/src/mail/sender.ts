import { EmailMessage } from 'cloudflare:email';
import { toMime } from './mime.ts';

/** One plain-text mail to one recipient: all the account flows send. */
export interface Mail {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
}

/**
 * Where account mails go. One implementation per transport; the flows in auth/ know only this. A
 * failure is a value: a mail is sent after the answer (the flows never wait for it, so an answer's
 * timing says nothing about the address), and its outcome goes to the log.
 */
export interface MailSender {
  send(mail: Mail): Promise<{ ok: true; messageId: string } | { ok: false; reason: string }>;
}

/**
 * Cloudflare's `send_email` binding (Email Routing / Email Service): a MIME message wrapped in
 * `EmailMessage` from `cloudflare:email`. Under `wrangler dev` the binding writes the message to a
 * local .eml file instead of sending it.
 */
export function sendEmailBinding(binding: SendEmail, from: string, now: () => Date = () => new Date()): MailSender {
  return {
    async send(mail) {
      const domain = from.split('@')[1] ?? 'turnpike.localhost';
      const messageId = `<${crypto.randomUUID()}@${domain}>`;
      try {
        await binding.send(new EmailMessage(from, mail.to, toMime(from, mail, messageId, now())));
        return { ok: true, messageId };
      } catch (err) {
        return { ok: false, reason: err instanceof Error ? err.message : String(err) };
      }
    },
  };
}

/** A Worker deployed without a `MAIL` binding: nothing can be sent, and the log says so. */
const noTransport: MailSender = {
  send: () => Promise.resolve({ ok: false, reason: 'no MAIL (send_email) binding configured' }),
};

/** The sender for this deployment's bindings. */
export function mailSender(env: Env): MailSender {
  const binding = (env as Partial<Pick<Env, 'MAIL'>>).MAIL;
  return binding === undefined ? noTransport : sendEmailBinding(binding, env.MAIL_FROM);
}

/**
 * Sends after the answer (`waitUntil`) and logs the outcome without the mail's body: the body holds
 * a single-use secret.
 */
export function sendLater(ctx: Pick<ExecutionContext, 'waitUntil'>, sender: MailSender, mail: Mail, kind: string): void {
  ctx.waitUntil(
    sender.send(mail).then((outcome) => {
      if (outcome.ok) console.log(JSON.stringify({ level: 'info', message: 'mail sent', kind, messageId: outcome.messageId }));
      else console.error(JSON.stringify({ level: 'error', message: 'mail not sent', kind, reason: outcome.reason }));
    }),
  );
}
