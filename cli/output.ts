/**
 * How the CLI talks to people and to CI: results on stdout (text, or one JSON document with
 * `--json`), progress on stderr, and exit codes a pipeline can branch on.
 */

export const EXIT = {
  ok: 0,
  /** Invalid project files, refused by the control plane, unreachable control plane. */
  failed: 1,
  /** Wrong command line. */
  usage: 2,
  /** `diff --exit-code` found changes. */
  changes: 3,
} as const;

export interface Problem {
  /** The file at fault, relative to where the command ran. */
  file?: string;
  line?: number;
  /** The field at fault, as a path in that file (`api.endpoints.production`). */
  field?: string;
  message: string;
}

/** An error the CLI explains rather than crashes on. */
export class CliError extends Error {
  readonly problems: Problem[];
  readonly exitCode: number;
  constructor(message: string, problems: Problem[] = [], exitCode: number = EXIT.failed) {
    super(message);
    this.problems = problems;
    this.exitCode = exitCode;
  }
}

export function formatProblem(p: Problem): string {
  const where = [p.file === undefined ? undefined : p.line === undefined ? p.file : `${p.file}:${p.line}`, p.field]
    .filter((x) => x !== undefined && x !== '')
    .join(' ');
  return where === '' ? p.message : `${where}: ${p.message}`;
}

export class Output {
  readonly json: boolean;
  /** Values that must never be printed (secrets substituted from the environment). */
  private readonly masked = new Set<string>();
  constructor(json: boolean) {
    this.json = json;
  }

  mask(value: string): void {
    if (value.length >= 4) this.masked.add(value);
  }

  redact(text: string): string {
    let out = text;
    for (const secret of this.masked) out = out.split(secret).join('***');
    return out;
  }

  /** A step of a long operation, on stderr so that stdout stays parseable. */
  progress(line: string): void {
    if (!this.json) process.stderr.write(`${this.redact(line)}\n`);
  }

  /** The command's result: `text` for people, `data` for `--json`. */
  result(text: string, data: unknown): void {
    process.stdout.write(this.json ? `${this.redact(JSON.stringify(data, null, 2))}\n` : `${this.redact(text)}\n`);
  }

  error(err: CliError): void {
    if (this.json) {
      process.stdout.write(`${this.redact(JSON.stringify({ error: err.message, problems: err.problems }, null, 2))}\n`);
    } else {
      process.stderr.write(`error: ${this.redact(err.message)}\n`);
      for (const p of err.problems) process.stderr.write(`  ${this.redact(formatProblem(p))}\n`);
    }
  }
}
