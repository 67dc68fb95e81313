/** The part of swagger-ui-dist's API the portal uses (the package ships no types). */
declare module 'swagger-ui-dist/swagger-ui-es-bundle.js' {
  /** A request as Swagger UI hands it to `requestInterceptor`; `headers` is a plain object. */
  export interface SwaggerRequest {
    url: string;
    method?: string;
    headers: Record<string, string>;
    credentials?: RequestCredentials;
    body?: unknown;
  }
  export interface SwaggerUISystem {
    React: { createElement(type: string, props: Record<string, unknown> | null, ...children: unknown[]): unknown };
    /** The operations filter (by tag name, substring); '' or false shows every operation. */
    layoutActions: { updateFilter(phrase: string): void };
  }
  export interface SwaggerUIOptions {
    domNode: HTMLElement;
    spec: Record<string, unknown>;
    plugins?: Array<(system: SwaggerUISystem) => Record<string, unknown>>;
    deepLinking?: boolean;
    validatorUrl?: string | null;
    syntaxHighlight?: false | { activated: boolean };
    tryItOutEnabled?: boolean;
    displayRequestDuration?: boolean;
    defaultModelsExpandDepth?: number;
    docExpansion?: 'list' | 'full' | 'none';
    withCredentials?: boolean;
    persistAuthorization?: boolean;
    requestInterceptor?: (req: SwaggerRequest) => SwaggerRequest | Promise<SwaggerRequest>;
  }
  export default function SwaggerUI(options: SwaggerUIOptions): SwaggerUISystem;
}
