/**
 * How a snapshot sits in its D1 row: gzip, base64, prefixed `gz:`. A D1 row holds at most 2 MB; a
 * snapshot is about 700 bytes of JSON per API, so plain JSON would stop near 2,800 APIs, while
 * compressed 10,000 APIs take about 400 kB. Plain JSON bodies (older rows) still decode.
 */
import { base64, fromBase64url } from './crypto.ts';
import type { GatewaySnapshot } from './snapshot.ts';

/** What a row may hold, with room to spare under D1's 2,000,000-byte limit. */
export const MAX_SNAPSHOT_BYTES = 1_900_000;
const PREFIX = 'gz:';

async function pipe(bytes: Uint8Array, transform: CompressionStream | DecompressionStream): Promise<Uint8Array> {
  const out = await new Response(new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(transform)).arrayBuffer();
  return new Uint8Array(out);
}

export async function encodeSnapshot(snapshot: GatewaySnapshot): Promise<string> {
  return PREFIX + base64(await pipe(new TextEncoder().encode(JSON.stringify(snapshot)), new CompressionStream('gzip')));
}

export async function decodeSnapshot(body: string): Promise<GatewaySnapshot> {
  if (!body.startsWith(PREFIX)) return JSON.parse(body) as GatewaySnapshot;
  return JSON.parse(
    new TextDecoder().decode(await pipe(fromBase64url(body.slice(PREFIX.length)), new DecompressionStream('gzip'))),
  ) as GatewaySnapshot;
}
