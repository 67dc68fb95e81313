/**
 * The long-lived connections (WebSockets, SSE streams) this isolate holds, by application, so that
 * the control plane's notifications — an application's live state changed (revocation, block,
 * deletion), a new snapshot (API blocked or undeployed, a blocking condition) — reach them at once
 * instead of at their next periodic check (decision 0042).
 *
 * A notification arrives in a request of its own (the GatewayControl RPC), and a socket may only be
 * touched from the request that accepted it (workerd's I/O context): so the registry holds a `wake`
 * callback per connection, which resolves a promise the connection's own request is waiting on;
 * the connection then checks itself, in its own context.
 *
 * Bounded by construction, not by eviction: a connection is in it exactly while it is open, and
 * the gateway refuses a handshake (503) beyond MAX_OPEN_CONNECTIONS per isolate.
 */
export const MAX_OPEN_CONNECTIONS = 10_000;

export interface OpenConnection {
  readonly id: string;
  readonly applicationId: string | null;
  /** Asks the connection to check its credential and the snapshot now (from any request context). */
  readonly wake: () => void;
}

const byId = new Map<string, OpenConnection>();
const byApplication = new Map<string, Set<OpenConnection>>();

/** Registers an open connection; false when the isolate holds MAX_OPEN_CONNECTIONS already. */
export function register(connection: OpenConnection): boolean {
  if (byId.size >= MAX_OPEN_CONNECTIONS) return false;
  byId.set(connection.id, connection);
  if (connection.applicationId !== null) {
    let set = byApplication.get(connection.applicationId);
    if (set === undefined) byApplication.set(connection.applicationId, (set = new Set()));
    set.add(connection);
  }
  return true;
}

export function unregister(connection: OpenConnection): void {
  byId.delete(connection.id);
  if (connection.applicationId === null) return;
  const set = byApplication.get(connection.applicationId);
  set?.delete(connection);
  if (set?.size === 0) byApplication.delete(connection.applicationId);
}

/** These applications' live state changed: their connections check themselves now. */
export function wakeApplications(applicationIds: ReadonlySet<string>): number {
  let woken = 0;
  for (const id of applicationIds) {
    for (const c of byApplication.get(id) ?? []) {
      c.wake();
      woken += 1;
    }
  }
  return woken;
}

/** A new snapshot: every connection checks itself against it. */
export function wakeAll(): number {
  for (const c of byId.values()) c.wake();
  return byId.size;
}

export function openConnections(): number {
  return byId.size;
}
