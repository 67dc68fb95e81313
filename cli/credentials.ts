/**
 * Where `turnpike login` keeps control-plane tokens: the user's config folder
 * (`$TURNPIKE_CONFIG_DIR`, else `$XDG_CONFIG_HOME/turnpike`, else `~/.config/turnpike`), readable by
 * the user only — never the project folder, so a token cannot be committed with the API.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CliError } from './output.ts';

export interface Profile {
  url: string;
  token: string;
  /** The management token's id, so `logout` can revoke it. */
  tokenId?: string;
  user?: string;
}

interface Store {
  profiles: Record<string, Profile>;
}

export function configDir(): string {
  return process.env.TURNPIKE_CONFIG_DIR ?? join(process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'turnpike');
}

function file(): string {
  return join(configDir(), 'credentials.json');
}

function read(): Store {
  if (!existsSync(file())) return { profiles: {} };
  try {
    const parsed = JSON.parse(readFileSync(file(), 'utf8')) as Partial<Store>;
    return { profiles: parsed.profiles ?? {} };
  } catch {
    throw new CliError(`${file()} is not valid JSON; delete it and run turnpike login again`);
  }
}

function write(store: Store): void {
  mkdirSync(configDir(), { recursive: true, mode: 0o700 });
  writeFileSync(file(), JSON.stringify(store, null, 2) + '\n', { mode: 0o600 });
  chmodSync(file(), 0o600);
}

export function saveProfile(name: string, profile: Profile): string {
  const store = read();
  store.profiles[name] = profile;
  write(store);
  return file();
}

export function removeProfile(name: string): Profile | undefined {
  const store = read();
  const profile = store.profiles[name];
  if (profile !== undefined) {
    delete store.profiles[name];
    write(store);
  }
  return profile;
}

export function loadProfile(name: string): Profile | undefined {
  return read().profiles[name];
}
