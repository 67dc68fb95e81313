/** Every identifier carries a prefix that names its type, so a misplaced id is visible in a log. */
export const ID_PREFIXES = {
  user: 'usr',
  session: 'ses',
  accountToken: 'atk',
  managementToken: 'mgt',
  api: 'api',
  product: 'prd',
  resource: 'res',
  endpoint: 'ept',
  document: 'doc',
  revision: 'rev',
  environment: 'env',
  deployment: 'dep',
  application: 'app',
  applicationKey: 'akey',
  apiKey: 'key',
  subscription: 'sub',
  policy: 'pol',
  blockingCondition: 'blk',
  refreshToken: 'rtk',
  tokenFamily: 'fam',
  workflow: 'wfl',
  audit: 'aud',
  rating: 'rat',
  alert: 'alr',
  alertEvent: 'alev',
  keyManager: 'km',
  externalClient: 'xcl',
  ssoProvider: 'sso',
  registrationToken: 'iat',
} as const;

export type IdKind = keyof typeof ID_PREFIXES;
export type Id<K extends IdKind> = `${(typeof ID_PREFIXES)[K]}_${string}`;

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

/** 16 random base-36 characters (~82 bits) behind the type prefix. */
export function newId<K extends IdKind>(kind: K): Id<K> {
  return `${ID_PREFIXES[kind]}_${randomString(16)}`;
}

export function randomString(length: number, alphabet = ALPHABET): string {
  // Rejection sampling keeps every character equally likely.
  const limit = 256 - (256 % alphabet.length);
  let out = '';
  while (out.length < length) {
    const bytes = crypto.getRandomValues(new Uint8Array(length * 2));
    for (const b of bytes) {
      if (b < limit) out += alphabet[b % alphabet.length];
      if (out.length === length) break;
    }
  }
  return out;
}
