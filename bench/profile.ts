/**
 * `npm run bench -- --profile`: a V8 CPU profile of the gateway's isolate while one case runs, taken
 * over wrangler dev's inspector (Chrome DevTools protocol), and a summary of where the time went:
 * self time per function, and per source file of ours. The .cpuprofile files open in Chrome DevTools.
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The first inspectable Worker at `inspectorPort` (wrangler's inspector proxy lists the user Worker). */
async function target(inspectorPort: number): Promise<string> {
  const list = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json()) as Array<{ webSocketDebuggerUrl?: string }>;
  const url = list.find((t) => t.webSocketDebuggerUrl !== undefined)?.webSocketDebuggerUrl;
  if (url === undefined) throw new Error(`nothing to profile at inspector port ${inspectorPort}`);
  return url;
}

/** Profiles the Worker behind `inspectorPort` while `load` runs. */
export async function profileWhile<T>(inspectorPort: number, load: () => Promise<T>): Promise<{ profile: Profile; result: T }> {
  // wrangler's inspector proxy refuses an upgrade without an Origin; Node's WebSocket (undici) takes
  // extra headers in its second argument.
  const init = { headers: { origin: 'http://127.0.0.1' } } as unknown as string[];
  const ws = new WebSocket(await target(inspectorPort), init);
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  let next = 1;
  const pending = new Map<number, (result: unknown) => void>();
  ws.onmessage = (event) => {
    // wrangler's proxy answers some commands with the command itself (no `result`): any message
    // carrying the id settles it.
    const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown };
    if (message.id !== undefined) pending.get(message.id)?.(message.result);
  };
  const send = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<unknown>((resolve) => {
      const id = next++;
      pending.set(id, resolve);
      ws.send(JSON.stringify({ id, method, params }));
    });
  await send('Profiler.enable');
  await send('Profiler.setSamplingInterval', { interval: 100 });
  await send('Profiler.start');
  const result = await load();
  const { profile } = (await send('Profiler.stop')) as { profile: Profile };
  ws.close();
  return { profile, result };
}

/**
 * The isolate's busy time per request (sampled time not spent idle), then self time per function
 * and per file, largest first, as percentages of the sampled time.
 */
export function summarise(profile: Profile, requests: number, top = 25): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const idle = [...self.entries()].filter(([id]) => byId.get(id)?.callFrame.functionName === '(idle)').reduce((a, [, v]) => a + v, 0);
  const perFunction = new Map<string, number>();
  const perFile = new Map<string, number>();
  for (const [id, micros] of self) {
    const frame = byId.get(id)?.callFrame;
    if (frame === undefined) continue;
    const file = frame.url.replace(/^.*\/(node_modules\/[^/]+|workers|durable-objects)\//, '$1/') || '(native)';
    const name = `${frame.functionName || '(anonymous)'} ${file}:${frame.lineNumber + 1}`;
    perFunction.set(name, (perFunction.get(name) ?? 0) + micros);
    perFile.set(file, (perFile.get(file) ?? 0) + micros);
  }
  const table = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, v]) => `${((100 * v) / total).toFixed(1).padStart(5)} %  ${k}`)
      .join('\n');
  return `sampled ${(total / 1000).toFixed(0)} ms, ${requests} requests: ${((total - idle) / requests).toFixed(1)} µs busy per request\n\nself time by function:\n${table(perFunction)}\n\nself time by file:\n${table(perFile)}\n`;
}
