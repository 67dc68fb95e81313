import type { Mail } from '../mail/sender.ts';

/**
 * The account mails. Links point at the portal's hash routes with the token in the fragment, which
 * browsers never send to a server nor put in a Referer (RFC 9110 §10.1.3), so the secret reaches
 * only the page that uses it.
 */
export function verificationMail(portalUrl: string, to: string, displayName: string, token: string): Mail {
  return {
    to,
    subject: 'Confirm your email address for the Turnpike developer portal',
    text: `Hello ${displayName},

confirm your email address to finish signing up:

${link(portalUrl, 'verify', token)}

The link works once, for 24 hours. If you did not sign up, ignore this mail: without the link no account is opened.`,
  };
}

/** Sent instead of a verification mail when the address already has an account. */
export function alreadyRegisteredMail(portalUrl: string, to: string): Mail {
  return {
    to,
    subject: 'You already have a Turnpike developer portal account',
    text: `Someone (probably you) tried to sign up with this address, which already has an account.

Sign in: ${portalUrl.replace(/\/$/, '')}/#/signin
Forgot your password? Reset it: ${portalUrl.replace(/\/$/, '')}/#/forgot

If this was not you, nothing has changed and you can ignore this mail.`,
  };
}

export function resetMail(portalUrl: string, to: string, token: string): Mail {
  return {
    to,
    subject: 'Reset your Turnpike developer portal password',
    text: `Someone (probably you) asked to reset the password of this account. Choose a new one here:

${link(portalUrl, 'reset', token)}

The link works once, for one hour. Resetting signs you out everywhere. If you did not ask, ignore this mail: your password stays as it is.`,
  };
}

function link(portalUrl: string, view: 'verify' | 'reset', token: string): string {
  return `${portalUrl.replace(/\/$/, '')}/#/${view}/${token}`;
}
