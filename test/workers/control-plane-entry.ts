/**
 * Not type-checked with the control plane (it hosts code of both Workers, each typed against its
 * own Env); each re-exported module is checked in its own project.
 *
 * The control plane under test, with the Traffic Manager's classes hosted beside it: deployed, they
 * live in the gateway script and are bound with `script_name`; in the test runtime one script hosts
 * both so the control plane's calls reach the real objects.
 */
export { default } from '../../workers/control-plane/src/index.ts';
export { ThrottleCounter } from '../../durable-objects/throttle/counter.ts';
// The gateway's control entrypoint, so the control plane's GATEWAY binding reaches real code.
export { GatewayControl } from '../../workers/gateway/src/index.ts';
// Stands in for the send_email binding (vitest.config.ts binds MAIL to it): the same `send(EmailMessage)`
// call, so the control plane's MIME building runs as deployed, and the mail lands in an outbox the
// tests read (test/workers/mailbox.ts).
export { TestMailbox } from './mailbox.ts';
