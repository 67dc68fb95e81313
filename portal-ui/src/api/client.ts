/**
 * The portal's transport to the control plane, same-origin under /api (a Pages Function forwards it
 * over a service binding, so the HttpOnly session cookie works). Errors are RFC 9457 problem
 * documents; slow requests show the progress bar.
 */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  errors?: Array<{ pointer: string; detail: string }>;
}

export class ProblemError extends Error {
  readonly problem: Problem;
  constructor(problem: Problem) {
    super(problem.detail ?? problem.title);
    this.problem = problem;
  }
}

let inFlight = 0;
let progressTimer: ReturnType<typeof setTimeout> | undefined;

/** Counts requests in flight; the bar appears only when one takes longer than 250 ms. */
export function trackProgress<T>(work: Promise<T>): Promise<T> {
  inFlight += 1;
  if (inFlight === 1) progressTimer = setTimeout(() => document.body.classList.add('loading'), 250);
  const done = () => {
    inFlight -= 1;
    if (inFlight === 0) {
      clearTimeout(progressTimer);
      document.body.classList.remove('loading');
    }
  };
  return work.finally(done);
}

export async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await trackProgress(
    fetch(path, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
  );
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? null : JSON.parse(text);
  } catch {
    parsed = null;
  }
  if (!res.ok) {
    const problem = (parsed ?? { type: 'about:blank', title: res.statusText || `HTTP ${res.status}`, status: res.status }) as Problem;
    throw new ProblemError(problem);
  }
  return parsed as T;
}

export const enc = encodeURIComponent;

/** A query string from the defined values only. */
export function query(params: Record<string, string | number | undefined>): string {
  const entries = Object.entries(params).filter((e): e is [string, string | number] => e[1] !== undefined && e[1] !== '');
  return entries.length === 0 ? '' : '?' + new URLSearchParams(entries.map(([k, v]) => [k, String(v)])).toString();
}
