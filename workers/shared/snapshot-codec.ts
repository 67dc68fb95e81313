/**
 * How a snapshot sits in its D1 row: gzip, base64, prefixed `gz:`. A D1 row holds at most 2 MB; a
 * snapshot is about 700 bytes of JSON per API, so plain JSON would stop near 2,800 APIs, while
 * compressed 10,000 APIs take about 400 kB. Plain JSON bodies (older rows) still decode.
 */
import type { GatewaySnapshot } from './snapshot.ts';

/** What a row may hold, with room to spare under D1's 2,000,000-byte limit. */
export const MAX_SNAPSHOT_BYTES = 1_900_000;
const PREFIX = 'gz:';

async function pipe(bytes: Uint8Array, transform: CompressionStream | DecompressionStream): Promise<Uint8Array> {
  const out = await new Response(new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(transform)).arrayBuffer();
  return new Uint8Array(out);
}

function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export async function encodeSnapshot(snapshot: GatewaySnapshot): Promise<string> {
  return PREFIX + toBase64(await pipe(new TextEncoder().encode(JSON.stringify(snapshot)), new CompressionStream('gzip')));
}

export async function decodeSnapshot(body: string): Promise<GatewaySnapshot> {
  if (!body.startsWith(PREFIX)) return JSON.parse(body) as GatewaySnapshot;
  const binary = atob(body.slice(PREFIX.length));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return JSON.parse(new TextDecoder().decode(await pipe(bytes, new DecompressionStream('gzip')))) as GatewaySnapshot;
}
