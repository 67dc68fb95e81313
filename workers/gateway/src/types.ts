export interface GatewayEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    /** Headers every answer carries once the API is known (CORS), error answers included. */
    responseHeaders: Record<string, string>;
    /** What the usage report needs, filled in as the call path learns it. */
    usage: { apiId: string; applicationId: string | null; keyType: string | null } | undefined;
    /** The numeric `code` of the problem the gateway answered with, set by `onError`. */
    errorCode: number | undefined;
  };
}
