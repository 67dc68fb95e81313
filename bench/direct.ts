/**
 * The address of a Worker's own runtime under `wrangler dev`, bypassing wrangler's local proxy.
 *
 * `wrangler dev --port P` answers on P through a proxy Worker in a workerd process of its own, which
 * then forwards each request to a second workerd that runs the user's Worker. That extra hop costs
 * about as much CPU as a small Worker does, on both sides of a comparison: it dilutes the gateway's
 * cost against pass-through. The bench drives each Worker at the second workerd's entry socket —
 * workerd run directly, with only Miniflare's entry worker in front, as in issue #10's own figures.
 * The socket is found from /proc: the listening TCP sockets held by workerd processes under the
 * wrangler process, probed for one that answers `probePath` like the proxy does.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { descendants } from './process-cpu.ts';

function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
        const m = /^socket:\[(\d+)\]$/.exec(target);
        if (m?.[1] !== undefined) inodes.add(m[1]);
      } catch {
        /* closed meanwhile */
      }
    }
  } catch {
    return [];
  }
  const ports: number[] = [];
  for (const line of readFileSync(`/proc/${pid}/net/tcp`, 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    // local_address is hex "0100007F:PORT", st 0A is LISTEN, inode is field 10.
    if (f.length > 9 && f[3] === '0A' && inodes.has(f[9] ?? '')) ports.push(parseInt((f[1] ?? '').split(':')[1] ?? '0', 16));
  }
  return ports;
}

function isWorkerd(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0]?.endsWith('/workerd') ?? false;
  } catch {
    return false;
  }
}

/**
 * `http://127.0.0.1:<port>` of the workerd running the Worker that `wrangler dev` (process `wranglerPid`)
 * serves on `proxyPort`: the socket, other than the proxy's, that answers GET `probePath` with 200.
 */
export async function directUrl(
  wranglerPid: number,
  proxyPort: number,
  probePath: string,
  headers: Record<string, string> = {},
): Promise<string> {
  const ports = descendants(wranglerPid)
    .filter(isWorkerd)
    .flatMap(listeningPorts)
    .filter((p) => p !== proxyPort);
  for (const port of ports) {
    const url = `http://127.0.0.1:${port}`;
    try {
      const res = await fetch(url + probePath, { headers, signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.status === 200) return url;
    } catch {
      /* an inspector or loopback socket */
    }
  }
  throw new Error(`no workerd socket under process ${wranglerPid} answers ${probePath} with 200 (tried ${ports.join(', ')})`);
}
