export interface GatewayEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    /** Headers every answer carries once the API is known (CORS), error answers included. */
    responseHeaders: Record<string, string>;
  };
}
