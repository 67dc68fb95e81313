import { Parser } from '@asyncapi/parser';

export interface AsyncApiChannels {
  readonly title: string;
  readonly version: string;
  /** Each channel's address as a WebSocket API resource path (`/` added in front where missing). */
  readonly paths: readonly string[];
}

export type ParsedAsyncApi =
  | { readonly ok: true; readonly value: AsyncApiChannels }
  | { readonly ok: false; readonly errors: ReadonlyArray<{ readonly pointer: string; readonly detail: string }> };

/**
 * Reads an AsyncAPI 2.x or 3.x document (JSON or YAML) with the reference parser and returns its
 * channels as the paths of a WebSocket API's resources. `$ref`s to other files are never fetched:
 * the parser's resolver is limited to the document itself, so an import cannot be turned into SSRF.
 *
 * Parsed here, in the CLI (Node), not in the control plane: measured December 2026, the parser
 * bundles to 5.2 MB (733 KB gzip) for a Worker and does not start there — jsonc-parser's UMD build
 * (through Spectral) makes a dynamic `require`, which workerd refuses (decision 0042).
 */
export async function asyncApiChannels(source: string): Promise<ParsedAsyncApi> {
  const parser = new Parser({ __unstable: { resolver: { resolvers: [] } } });
  const { document, diagnostics } = await parser.parse(source);
  if (document === undefined) {
    const errors = diagnostics.filter((d) => d.severity === 0).map((d) => ({ pointer: `/${d.path.join('/')}`, detail: d.message }));
    return { ok: false, errors: errors.length > 0 ? errors : [{ pointer: '', detail: 'Not an AsyncAPI document' }] };
  }
  const paths = document
    .channels()
    .all()
    .flatMap((c) => {
      const address = c.address();
      return address === null || address === undefined ? [] : [address.startsWith('/') ? address : `/${address}`];
    });
  return { ok: true, value: { title: document.info().title(), version: document.info().version(), paths: [...new Set(paths)] } };
}
