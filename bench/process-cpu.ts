/**
 * CPU time of a Worker under `wrangler dev`: the user + system time of its whole process tree (the
 * wrangler Node process, its workerd runtime and everything they start), read from /proc. Per request
 * it includes the runtime's HTTP work and wrangler's local proxy, which pass-through pays too: the
 * difference between a gateway case and pass-through is what the gateway's own code costs.
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICK_MS = 10; // USER_HZ is 100 on Linux

interface Stat {
  ppid: number;
  ticks: number;
  /** The command name (`comm`): `workerd` for the runtime, `node` for wrangler. */
  command: string;
}

function readStat(pid: number): Stat | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: fields are counted after the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const command = text.slice(text.indexOf('(') + 1, text.lastIndexOf(')'));
    return { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]), command };
  } catch {
    return null;
  }
}

function allPids(): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number);
}

function snapshot(): Map<number, Stat> {
  const stats = new Map<number, Stat>();
  for (const pid of allPids()) {
    const s = readStat(pid);
    if (s !== null) stats.set(pid, s);
  }
  return stats;
}

function tree(root: number, stats: Map<number, Stat>): number[] {
  const children = new Map<number, number[]>();
  for (const [pid, s] of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), pid]);
  const out: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.pop() as number;
    out.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return out;
}

/**
 * Milliseconds of CPU used so far by `root` and its descendants, and by the `workerd` processes among
 * them alone: the runtime's share, against what wrangler's Node process spends (relaying the
 * runtime's log lines among other things), which a deployed Worker does not have.
 */
export function treeCpuSplitMs(root: number): { all: number; runtime: number } {
  const stats = snapshot();
  let all = 0;
  let runtime = 0;
  for (const pid of tree(root, stats)) {
    const s = stats.get(pid);
    if (s === undefined) continue;
    all += s.ticks;
    if (s.command === 'workerd') runtime += s.ticks;
  }
  return { all: all * TICK_MS, runtime: runtime * TICK_MS };
}

/** `root` and every live process under it. */
export function descendants(root: number): number[] {
  return tree(root, snapshot());
}

/** Milliseconds of CPU used so far by `root` and all its descendants (live ones; exited children's time is in their parent's cutime, not counted). */
export function treeCpuMs(root: number): number {
  return treeCpuSplitMs(root).all;
}

/** The `wrangler dev` process serving `port` (its command line holds `--port <port>`), or null. */
export function wranglerPidForPort(port: number): number | null {
  for (const pid of allPids()) {
    let args: string[];
    try {
      args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    const at = args.indexOf('--port');
    if (
      at >= 0 &&
      args[at + 1] === String(port) &&
      args.some((a) => a.endsWith('wrangler.js') || a.endsWith('wrangler')) &&
      args.includes('dev')
    )
      return pid;
  }
  return null;
}
