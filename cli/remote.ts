/**
 * The control plane's publisher REST API as the CLI uses it. Problems (RFC 9457) come back as
 * CliErrors listing each field at fault, so the project loader can point at the file and line.
 */
import type { ApiView, CreateApi } from '../workers/control-plane/src/publisher/apis/schemas.ts';
import { CliError, type Problem } from './output.ts';

const PUBLISHER = '/api/publisher/v1';

export interface Revision {
  id: string;
  number: number;
  description: string;
  createdAt: number;
}
export interface Deployment {
  revisionId: string;
  environment: string;
  deployedAt: number;
}
export interface ProblemBody {
  title?: string;
  detail?: string;
  errors?: Array<{ pointer?: string; detail?: string }>;
}

export class RemoteError extends CliError {
  readonly status: number;
  readonly body: ProblemBody;
  constructor(method: string, path: string, status: number, body: ProblemBody) {
    const problems: Problem[] = (body.errors ?? []).map((e) => ({ field: e.pointer, message: e.detail ?? 'invalid' }));
    super(`${method} ${path} answered ${status}: ${body.detail ?? body.title ?? 'no detail'}`, problems);
    this.status = status;
    this.body = body;
  }
}

export class ControlPlane {
  readonly url: string;
  private readonly token: string | undefined;
  constructor(url: string, token?: string) {
    this.url = url.replace(/\/+$/, '');
    this.token = token;
  }

  async call<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.url}${path}`, {
        method,
        headers: {
          accept: 'application/json',
          ...(this.token === undefined ? {} : { authorization: `Bearer ${this.token}` }),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(60_000),
      });
    } catch (err) {
      throw new CliError(
        `cannot reach the control plane at ${this.url}: ${err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err)}`,
      );
    }
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      throw new CliError(`${method} ${path} answered ${res.status} with a body that is not JSON`);
    }
    if (!res.ok) throw new RemoteError(method, path, res.status, (parsed ?? {}) as ProblemBody);
    return parsed as T;
  }

  /** The API with this context and version, or undefined. */
  async findApi(context: string, version: string): Promise<ApiView | undefined> {
    const page = await this.call<{ list: Array<{ id: string; context: string; version: string }> }>(
      'GET',
      `${PUBLISHER}/apis?limit=100&query=${encodeURIComponent(context)}`,
    );
    const hit = page.list.find((a) => a.context === context && a.version === version);
    return hit === undefined ? undefined : this.getApi(hit.id);
  }

  getApi(id: string): Promise<ApiView> {
    return this.call('GET', `${PUBLISHER}/apis/${encodeURIComponent(id)}`);
  }
  exportDocument(id: string): Promise<Record<string, unknown>> {
    return this.call('GET', `${PUBLISHER}/apis/${encodeURIComponent(id)}/openapi`);
  }
  createApi(body: CreateApi): Promise<ApiView> {
    return this.call('POST', `${PUBLISHER}/apis`, body);
  }
  updateApi(id: string, patch: Record<string, unknown>): Promise<ApiView> {
    return this.call('PATCH', `${PUBLISHER}/apis/${encodeURIComponent(id)}`, patch);
  }
  changeLifecycle(id: string, state: string): Promise<{ lifecycleState: string }> {
    return this.call('POST', `${PUBLISHER}/apis/${encodeURIComponent(id)}/lifecycle`, { state });
  }
  createRevision(id: string, description: string): Promise<Revision> {
    return this.call('POST', `${PUBLISHER}/apis/${encodeURIComponent(id)}/revisions`, { description });
  }
  async revisions(id: string): Promise<Revision[]> {
    return (await this.call<{ list: Revision[] }>('GET', `${PUBLISHER}/apis/${encodeURIComponent(id)}/revisions`)).list;
  }
  async deploy(id: string, revisionId: string, environments: string[]): Promise<Deployment[]> {
    return (
      await this.call<{ list: Deployment[] }>('POST', `${PUBLISHER}/apis/${encodeURIComponent(id)}/deployments`, {
        revisionId,
        environments,
      })
    ).list;
  }
  async deployments(id: string): Promise<Deployment[]> {
    return (await this.call<{ list: Deployment[] }>('GET', `${PUBLISHER}/apis/${encodeURIComponent(id)}/deployments`)).list;
  }
}
