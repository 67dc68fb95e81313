/**
 * The gateway under test, with the Traffic Manager's counter class hosted beside it: deployed, the
 * objects live in workers/traffic-manager and the gateway binds them with `script_name`.
 */
export * from '../../workers/gateway/src/index.ts';
export { default } from '../../workers/gateway/src/index.ts';
export { ThrottleCounter } from '../../durable-objects/throttle/counter.ts';
