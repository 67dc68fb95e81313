/** `turnpike login` / `logout`: a scoped management token in the user's config folder. */
import { createInterface } from 'node:readline';
import { hostname } from 'node:os';
import { removeProfile, saveProfile } from '../credentials.ts';
import { CliError, EXIT, type Output } from '../output.ts';
import { ControlPlane, RemoteError } from '../remote.ts';

/** What the CLI needs, and no more: it manages APIs, it never administers the platform. */
const CLI_SCOPES = ['api:view', 'api:create', 'api:publish', 'api:deploy'];

async function readPassword(fromStdin: boolean): Promise<string> {
  if (process.env.TURNPIKE_PASSWORD !== undefined) return process.env.TURNPIKE_PASSWORD;
  if (!fromStdin && !process.stdin.isTTY)
    throw new CliError('No password: set TURNPIKE_PASSWORD, pass --password-stdin, or run in a terminal', [], EXIT.usage);
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: process.stdin.isTTY === true });
  if (process.stdin.isTTY) {
    process.stderr.write('Password: ');
    // Keep what is typed off the screen.
    (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = () => {};
  }
  const line = await new Promise<string>((resolve) => rl.once('line', resolve).once('close', () => resolve('')));
  rl.close();
  if (process.stdin.isTTY) process.stderr.write('\n');
  return line.trim();
}

export async function login(
  out: Output,
  o: { url?: string; profile: string; email?: string; token?: string; passwordStdin: boolean },
): Promise<void> {
  const url = o.url ?? process.env.TURNPIKE_URL;
  if (url === undefined) throw new CliError('Which control plane? Pass --url, e.g. --url http://127.0.0.1:8788', [], EXIT.usage);
  let token = o.token;
  let tokenId: string | undefined;
  if (token === undefined) {
    if (o.email === undefined)
      throw new CliError(
        'Pass --email (and the password on stdin or in TURNPIKE_PASSWORD), or --token with a management token',
        [],
        EXIT.usage,
      );
    const password = await readPassword(o.passwordStdin);
    const anon = new ControlPlane(url);
    let cookie: string;
    try {
      const res = await fetch(`${anon.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: o.email, password }),
      });
      if (res.status !== 200) throw new RemoteError('POST', '/api/auth/login', res.status, (await res.json().catch(() => ({}))) as object);
      cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    } catch (err) {
      if (err instanceof CliError) throw err;
      throw new CliError(`cannot reach the control plane at ${anon.url}: ${err instanceof Error ? err.message : String(err)}`);
    }
    const session = new ControlPlane(url);
    const me = await session.call<{ scopes: string[] }>('GET', '/api/auth/me', undefined, { cookie });
    const scopes = CLI_SCOPES.filter((s) => me.scopes.includes(s));
    if (scopes.length === 0) throw new CliError(`${o.email} cannot manage APIs (no publisher scopes)`);
    out.progress(`signed in as ${o.email}; creating a management token with ${scopes.join(', ')}`);
    const created = await session.call<{ id: string; token: string }>(
      'POST',
      '/api/auth/tokens',
      { name: `turnpike CLI on ${hostname()}`, scopes, expiresInDays: 90 },
      { cookie },
    );
    await session.call('POST', '/api/auth/logout', undefined, { cookie }).catch(() => undefined);
    token = created.token;
    tokenId = created.id;
  }
  const me = await new ControlPlane(url, token).call<{ user: { email: string }; scopes: string[] }>('GET', '/api/auth/me');
  const file = saveProfile(o.profile, {
    url: url.replace(/\/+$/, ''),
    token,
    ...(tokenId === undefined ? {} : { tokenId }),
    user: me.user.email,
  });
  out.result(`Logged in to ${url} as ${me.user.email} (profile ${o.profile}, scopes ${me.scopes.join(' ')}); token stored in ${file}`, {
    url,
    user: me.user.email,
    profile: o.profile,
    scopes: me.scopes,
    file,
  });
}

export async function logout(out: Output, o: { profile: string }): Promise<void> {
  const profile = removeProfile(o.profile);
  if (profile === undefined) {
    out.result(`Profile ${o.profile} was not logged in`, { profile: o.profile, revoked: false });
    return;
  }
  let revoked = false;
  if (profile.tokenId !== undefined) {
    revoked = await new ControlPlane(profile.url, profile.token)
      .call('DELETE', `/api/auth/tokens/${encodeURIComponent(profile.tokenId)}`)
      .then(() => true)
      .catch(() => false);
  }
  out.result(`Logged out of ${profile.url}${revoked ? '; the token is revoked' : ''}`, { profile: o.profile, url: profile.url, revoked });
}
