import { gatewayControl } from './bindings.ts';

/**
 * Tells the gateway a new snapshot was compiled so the next request loads it. Best effort: a
 * gateway that is not reachable picks the snapshot up by its own revalidation (SNAPSHOT_TTL_SECONDS).
 */
export async function notifyGateway(env: Env): Promise<void> {
  try {
    await gatewayControl(env).snapshotChanged();
  } catch (cause) {
    console.warn(JSON.stringify({ level: 'warn', message: 'gateway not notified of new snapshot; it will revalidate on its own', cause: String(cause) }));
  }
}
