import { gatewayControls, type GatewayControlRpc } from './bindings.ts';

/**
 * Tells every gateway environment a new snapshot was compiled so the next request loads it. Best
 * effort: a gateway that is not reachable picks the snapshot up by its own revalidation
 * (SNAPSHOT_TTL_SECONDS). A service binding reaches one isolate of a deployment; the others
 * revalidate within the same bound.
 */
export async function notifyGateway(env: Env): Promise<void> {
  await toEveryGateway(env, (c) => c.snapshotChanged(), 'gateway not notified of new snapshot; it will revalidate on its own');
}

/**
 * Tells every gateway environment an application's live state changed, so the isolate reached drops
 * the allowance leases it holds for that application and asks the counter objects again on the next
 * request. Best effort: a lease a gateway is not told about ends by itself within LEASE_MAX_MS.
 */
export async function notifyApplication(env: Env, applicationId: string): Promise<void> {
  await notifyApplications(env, [applicationId]);
}

/** `notifyApplication` for several applications in one call (a page of a tier edit). */
export async function notifyApplications(env: Env, applicationIds: readonly string[]): Promise<void> {
  if (applicationIds.length === 0) return;
  await toEveryGateway(env, (c) => c.applicationsChanged(applicationIds), 'gateway not told to drop leases; they end within a second');
}

async function toEveryGateway(env: Env, call: (control: GatewayControlRpc) => Promise<void>, warning: string): Promise<void> {
  const gateways = gatewayControls(env);
  const settled = await Promise.allSettled(gateways.map(({ control }) => call(control)));
  settled.forEach((s, i) => {
    if (s.status === 'rejected')
      console.warn(JSON.stringify({ level: 'warn', message: warning, binding: gateways[i]?.binding, cause: String(s.reason) }));
  });
}
