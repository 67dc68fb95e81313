/** Which control plane a command talks to, and with which token. */
import { loadProfile } from './credentials.ts';
import { CliError, EXIT } from './output.ts';
import { ControlPlane } from './remote.ts';

export interface ConnectOptions {
  url?: string;
  profile?: string;
  /** From the project's environment. */
  projectUrl?: string;
  projectProfile?: string;
}

const origin = (u: string) => u.replace(/\/+$/, '');

/**
 * URL: --url, else $TURNPIKE_URL, else the project environment's controlPlane, else the profile's.
 * Token: $TURNPIKE_TOKEN (for CI), else the login profile's — and a profile's token is only ever
 * sent to the URL it was issued by.
 */
export function connect(o: ConnectOptions): ControlPlane {
  const profileName = o.profile ?? o.projectProfile ?? 'default';
  const profile = loadProfile(profileName);
  const url = o.url ?? process.env.TURNPIKE_URL ?? o.projectUrl ?? profile?.url;
  if (url === undefined)
    throw new CliError('No control plane URL: pass --url, set TURNPIKE_URL or run turnpike login --url <control plane>', [], EXIT.usage);
  const envToken = process.env.TURNPIKE_TOKEN;
  if (envToken !== undefined && envToken !== '') return new ControlPlane(url, envToken);
  if (profile === undefined)
    throw new CliError(
      `Not logged in (profile ${profileName}): run turnpike login --url ${origin(url)}${profileName === 'default' ? '' : ` --profile ${profileName}`}`,
    );
  if (origin(profile.url) !== origin(url)) {
    throw new CliError(
      `Profile ${profileName} holds a token for ${profile.url}, not ${origin(url)}: run turnpike login --url ${origin(url)} --profile <name> and name that profile in the environment`,
    );
  }
  return new ControlPlane(url, profile.token);
}
