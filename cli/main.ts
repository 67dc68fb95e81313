/**
 * `turnpike`: APIs as code against a Turnpike control plane.
 *
 *   turnpike login --url <control plane> --email <publisher>   (or --token <management token>)
 *   turnpike init | validate | diff | apply | deploy | rollback | status | export
 *
 * Exit codes: 0 done, 1 failed (invalid files, refused by the control plane), 2 wrong usage,
 * 3 `diff --exit-code` found changes. `--json` prints one JSON document on stdout.
 */
import { parseArgs } from 'node:util';
import { deploy, rollback } from './commands/deploy.ts';
import { login, logout } from './commands/login.ts';
import { apply, diff, exportApi, init, status, validate } from './commands/project.ts';
import { CliError, EXIT, Output } from './output.ts';

const USAGE = `Usage: turnpike <command> [options]

Commands:
  login      --url <control plane> (--email <user> [--password-stdin] | --token <tpm_…>) [--profile <name>]
  logout     [--profile <name>]            revoke and forget the stored token
  init       [--dir <dir>] [--name N --context /c --version v1 --backend URL --control-plane URL] [--force]
             (control plane: --control-plane, else --url, else the --profile you logged in with, else :8788)
  validate   [--env <name>]                check turnpike.yaml and the definition (every environment without --env)
  diff       [--env <name>] [--exit-code]  what apply would change (exit 3 with --exit-code when something would)
  apply      [--env <name>] [--dry-run] [--resend-secrets]   create or update the API to match the files (idempotent;
             endpoint secrets are write-only: a changed secret value alone is sent with --resend-secrets)
  deploy     [--env <name>] [-m <text>] [--force]   create a revision and deploy it to the environment's gateways
  rollback   [--env <name>] [--to <revision number>] redeploy the previous (or given) revision
  status     [--env <name>]                lifecycle, revisions, what each gateway serves, unapplied changes
  export     <context> <version> | --id <apiId>  [--dir <dir>] [--force]   an existing API as project files

Common options: --dir <project dir> (default .), --url <control plane>, --profile <login profile>, --json
Environment: TURNPIKE_URL, TURNPIKE_TOKEN (CI), TURNPIKE_PASSWORD, TURNPIKE_CONFIG_DIR`;

export async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        dir: { type: 'string', default: '.' },
        env: { type: 'string' },
        url: { type: 'string' },
        profile: { type: 'string' },
        json: { type: 'boolean', default: false },
        'dry-run': { type: 'boolean', default: false },
        'exit-code': { type: 'boolean', default: false },
        'resend-secrets': { type: 'boolean', default: false },
        force: { type: 'boolean', default: false },
        to: { type: 'string' },
        message: { type: 'string', short: 'm' },
        email: { type: 'string' },
        token: { type: 'string' },
        'password-stdin': { type: 'boolean', default: false },
        id: { type: 'string' },
        name: { type: 'string' },
        context: { type: 'string' },
        version: { type: 'string' },
        backend: { type: 'string' },
        'control-plane': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n\n${USAGE}\n`);
    return EXIT.usage;
  }
  const { values: v, positionals } = parsed;
  const [command, ...rest] = positionals;
  const out = new Output(v.json);
  if (command === undefined || v.help || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined && !v.help ? EXIT.usage : EXIT.ok;
  }
  const project = { dir: v.dir, env: v.env, url: v.url, profile: v.profile };
  try {
    switch (command) {
      case 'login':
        await login(out, {
          url: v.url,
          profile: v.profile ?? 'default',
          email: v.email,
          token: v.token,
          passwordStdin: v['password-stdin'],
        });
        return EXIT.ok;
      case 'logout':
        await logout(out, { profile: v.profile ?? 'default' });
        return EXIT.ok;
      case 'init':
        init(out, {
          dir: v.dir,
          name: v.name ?? 'Orders',
          context: v.context ?? '/orders',
          version: v.version ?? 'v1',
          backend: v.backend,
          controlPlane: v['control-plane'] ?? v.url,
          profile: v.profile ?? 'default',
          force: v.force,
        });
        return EXIT.ok;
      case 'validate':
        await validate(out, project);
        return EXIT.ok;
      case 'diff':
        return await diff(out, { ...project, exitCode: v['exit-code'] });
      case 'apply':
        await apply(out, { ...project, dryRun: v['dry-run'], resendSecrets: v['resend-secrets'] });
        return EXIT.ok;
      case 'deploy':
        await deploy(out, { ...project, description: v.message, force: v.force });
        return EXIT.ok;
      case 'rollback': {
        const to = v.to === undefined ? undefined : Number(v.to);
        if (to !== undefined && !(Number.isInteger(to) && to > 0))
          throw new CliError('--to takes a revision number, e.g. --to 2', [], EXIT.usage);
        await rollback(out, { ...project, to });
        return EXIT.ok;
      }
      case 'status':
        await status(out, project);
        return EXIT.ok;
      case 'export':
        await exportApi(out, {
          dir: v.dir,
          url: v.url,
          profile: v.profile,
          env: v.env,
          context: rest[0] ?? v.context,
          version: rest[1] ?? v.version,
          id: v.id,
          force: v.force,
        });
        return EXIT.ok;
      default:
        throw new CliError(`Unknown command ${command}\n\n${USAGE}`, [], EXIT.usage);
    }
  } catch (err) {
    if (err instanceof CliError) {
      out.error(err);
      return err.exitCode;
    }
    out.error(new CliError(`unexpected failure: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`));
    return EXIT.failed;
  }
}

process.exitCode = await run(process.argv.slice(2));
