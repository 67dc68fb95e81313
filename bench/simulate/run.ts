/**
 * `npm run simulate [-- --small] [-- --port-base N]`: the multi-process simulation of a deployment
 * (bench/simulate/harness.ts). Writes bench/results/simulate.json and bench/results/simulate.md and
 * prints the table; exits 1 when an invariant did not hold. 127.0.0.1 only; ends by itself.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT, killAll } from '../../scripts/lib/platform.ts';
import { runSimulation, table } from './harness.ts';

const { values } = parseArgs({
  options: { small: { type: 'boolean', default: false }, 'port-base': { type: 'string', default: '38787' } },
});
const interrupted = () => {
  killAll();
  process.exit(130);
};
process.once('SIGINT', interrupted);
process.once('SIGTERM', interrupted);
const result = await runSimulation({
  size: values.small ? 'small' : 'full',
  portBase: Number(values['port-base']),
  log: (line) => console.log(line),
});
const dir = join(ROOT, 'bench/results');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'simulate.json'), JSON.stringify(result, null, 2) + '\n');
const text = table(result);
writeFileSync(join(dir, 'simulate.md'), text + '\n');
console.log('\n' + text);
process.exit(result.ok ? 0 : 1);
