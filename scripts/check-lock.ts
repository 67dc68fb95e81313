/**
 * `npm run check:lock`: fails when package-lock.json is not what `npm ci` needs on every platform.
 *
 * 1. Every optional dependency a locked package declares has a locked entry — the prebuilt binaries
 *    of workerd, esbuild, rolldown, sharp… for Linux, macOS and Windows. A lock file written where
 *    the registry served one platform's packages only lacks the others, and `npm ci` on those
 *    platforms refuses it as out of sync.
 * 2. `npm install --package-lock-only` in a copy of the manifests leaves the lock file unchanged, so
 *    `npm install` on a fresh clone does not modify it (it resolves from the registry, downloading
 *    no tarball).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ROOT } from './lib/platform.ts';

interface LockedPackage {
  version?: string;
  optionalDependencies?: Record<string, string>;
  link?: boolean;
}
interface LockFile {
  lockfileVersion: number;
  packages: Record<string, LockedPackage>;
}

const EXACT = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/;

/** Locked optional dependencies that have no entry where Node's resolution would look for them. */
export function missingOptionals(lock: LockFile): string[] {
  const missing: string[] = [];
  for (const [path, pkg] of Object.entries(lock.packages)) {
    for (const [name, range] of Object.entries(pkg.optionalDependencies ?? {})) {
      // From the package's own node_modules outwards to the root, as `require` resolves.
      let base = path;
      let found = false;
      for (;;) {
        const entry = lock.packages[`${base === '' ? '' : base + '/'}node_modules/${name}`];
        if (entry !== undefined) {
          // The first entry found is the one Node loads: an exact pin it does not meet is as missing.
          found = !EXACT.test(range) || entry.version === range;
          break;
        }
        if (base === '') break;
        const cut = base.lastIndexOf('/node_modules/');
        base = cut === -1 ? '' : base.slice(0, cut);
      }
      if (!found)
        missing.push(`${name}@${range} (optional dependency of ${path === '' ? 'the root' : path.replace(/^.*node_modules\//, '')})`);
    }
  }
  return missing;
}

/** Package paths whose locked version or presence differs between two lock files. */
export function lockDifferences(before: LockFile, after: LockFile): string[] {
  const paths = new Set([...Object.keys(before.packages), ...Object.keys(after.packages)]);
  return [...paths]
    .filter((p) => JSON.stringify(before.packages[p]) !== JSON.stringify(after.packages[p]))
    .map((p) => `${p === '' ? '(root)' : p}: ${before.packages[p]?.version ?? 'absent'} → ${after.packages[p]?.version ?? 'absent'}`);
}

const lockText = readFileSync(join(ROOT, 'package-lock.json'), 'utf8');
const lock = JSON.parse(lockText) as LockFile;
const problems: string[] = missingOptionals(lock).map((m) => `not locked: ${m}`);

const workspaces = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { workspaces?: string[] }).workspaces ?? [];
const dir = mkdtempSync(join(tmpdir(), 'turnpike-lock-'));
try {
  for (const file of ['package.json', 'package-lock.json', '.npmrc', ...workspaces.map((w) => `${w}/package.json`)]) {
    try {
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      cpSync(join(ROOT, file), join(dir, file));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  const npm = spawnSync('npm', ['install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund'], {
    cwd: dir,
    encoding: 'utf8',
  });
  if (npm.status !== 0) problems.push(`npm install --package-lock-only failed:\n${npm.stdout}${npm.stderr}`);
  else {
    const rewritten = readFileSync(join(dir, 'package-lock.json'), 'utf8');
    if (rewritten !== lockText) {
      const changed = lockDifferences(lock, JSON.parse(rewritten) as LockFile);
      problems.push(
        `npm install would change package-lock.json${changed.length === 0 ? ' (formatting or root metadata)' : ':\n  ' + changed.slice(0, 20).join('\n  ')}${changed.length > 20 ? `\n  … ${changed.length - 20} more` : ''}`,
      );
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

if (problems.length > 0) {
  process.stderr.write(
    `package-lock.json is not ready for \`npm ci\` on every platform:\n${problems.join('\n')}\nRun \`npm install --package-lock-only\` and commit package-lock.json.\n`,
  );
  process.exit(1);
}
process.stdout.write(
  `package-lock.json: ${Object.keys(lock.packages).length} packages locked, every platform's optional packages present, unchanged by npm install\n`,
);
