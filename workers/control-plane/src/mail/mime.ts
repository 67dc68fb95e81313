import type { Mail } from './sender.ts';

/**
 * An RFC 5322 message with one text/plain UTF-8 part. The body is 8bit (RFC 6152) so a developer
 * reading a local .eml file sees the link as it is; lines are CRLF-terminated (RFC 5322 §2.1) and
 * the texts sent here keep them far below the 998-character limit.
 */
export function toMime(from: string, mail: Mail, messageId: string, date: Date): string {
  const headers = [
    `From: ${from}`,
    `To: ${mail.to}`,
    `Subject: ${encodeHeader(mail.subject)}`,
    `Message-ID: ${messageId}`,
    `Date: ${date.toUTCString().replace('GMT', '+0000')}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
  ];
  return `${headers.join('\r\n')}\r\n\r\n${mail.text.replace(/\r?\n/g, '\r\n')}\r\n`;
}

/** A header value outside printable ASCII as an RFC 2047 encoded word (UTF-8, base64). */
function encodeHeader(value: string): string {
  if (/^[\x20-\x7e]*$/.test(value)) return value;
  let binary = '';
  for (const byte of new TextEncoder().encode(value)) binary += String.fromCharCode(byte);
  return `=?utf-8?B?${btoa(binary)}?=`;
}
