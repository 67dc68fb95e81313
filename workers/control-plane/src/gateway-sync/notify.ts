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

/**
 * Tells the gateway an application's live state changed, so it drops the allowance leases it holds
 * for that application and asks the counter objects again on the next request. Best effort: a lease
 * the gateway is not told about ends by itself within LEASE_MAX_MS.
 */
export async function notifyApplication(env: Env, applicationId: string): Promise<void> {
  await notifyApplications(env, [applicationId]);
}

/** `notifyApplication` for several applications in one call (a page of a tier edit). */
export async function notifyApplications(env: Env, applicationIds: readonly string[]): Promise<void> {
  if (applicationIds.length === 0) return;
  try {
    await gatewayControl(env).applicationsChanged(applicationIds);
  } catch (cause) {
    console.warn(JSON.stringify({ level: 'warn', message: 'gateway not told to drop leases; they end within a second', cause: String(cause) }));
  }
}
