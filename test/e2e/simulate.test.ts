import { describe, expect, it } from 'vitest';
import { runSimulation } from '../../bench/simulate/harness.ts';

/**
 * The small version of `npm run simulate`: the Traffic Manager, the control plane and four gateway
 * processes (two environments × two isolates) of its own, on their own ports. It checks what must
 * hold whatever the machine's speed — exact counts summed over every process, no 5xx while quota is
 * left, every state change refused in every process, the fault invariants — and leaves the timings
 * to the simulate output (bench/results/simulate.json), never asserting them.
 */
describe('a deployment of several gateway processes sharing one Traffic Manager', () => {
  it(
    'admits exactly the limit across processes, refuses every state change everywhere, closes an open WebSocket in every process and survives the faults',
    { timeout: 420_000 },
    async () => {
      const base = Number(process.env.TURNPIKE_E2E_PORT_BASE ?? 28787) + 20;
      const result = await runSimulation({
        size: 'small',
        portBase: base,
        log: (line) => (/error|exited|fail/i.test(line) ? process.stderr.write(`${line}\n`) : undefined),
      });
      expect(result.counters.length).toBeGreaterThanOrEqual(4);
      for (const c of result.counters) {
        expect({ scenario: c.scenario, admitted: c.admitted, fiveXx: c.fiveXx }).toEqual({
          scenario: c.scenario,
          admitted: Math.min(c.limit, c.offered),
          fiveXx: {},
        });
      }
      expect(result.counters.some((c) => c.offered > c.limit)).toBe(true);
      expect(result.stateChanges.map((c) => c.change)).toEqual([
        'revoke a token',
        'revoke an API key',
        'block a subscription',
        'unsubscribe',
        'change a tier',
        'block an application',
        'block an IP',
      ]);
      for (const change of result.stateChanges) {
        for (const p of change.processes) {
          // Every process refuses eventually; the one the control plane told refuses its very next call.
          expect({ change: change.change, process: p.process, refused: p.delayMs !== null }).toEqual({
            change: change.change,
            process: p.process,
            refused: true,
          });
          if (p.notified)
            expect({ change: change.change, process: p.process, admittedAfter: Math.min(p.admittedAfter, change.allowance) }).toEqual({
              change: change.change,
              process: p.process,
              admittedAfter: p.admittedAfter,
            });
        }
      }
      // Every process's open WebSocket ends with 4401 once its token is revoked (how fast is in the table).
      expect(result.socketChanges.map((c) => c.change)).toEqual(['revoke a token while its WebSocket is open']);
      for (const change of result.socketChanges) {
        expect(change.processes.length).toBe(result.topology.gateways.length);
        for (const p of change.processes) expect({ process: p.process, code: p.code }).toEqual({ process: p.process, code: 4401 });
      }
      expect(result.faults.map((f) => [f.fault, f.held])).toEqual([
        ['a gateway process killed mid-load', true],
        ['the Traffic Manager restarted mid-window', true],
        ['the control plane down', true],
      ]);
    },
  );
});
