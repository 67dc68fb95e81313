export interface GatewayEnv {
  Bindings: Env;
  Variables: { requestId: string };
}
