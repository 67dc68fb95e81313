import { z } from 'zod';
import { ApiError } from '../../../../shared/problem.ts';
import { definePolicy } from '../step.ts';

/** Above what a Worker may hold of one body anyway (128 MB of isolate memory). */
const MAX_LIMIT_BYTES = 100 * 1024 * 1024;

const Limit = z.number().int().min(0).max(MAX_LIMIT_BYTES);
const Config = z
  .strictObject({
    /** The largest request body sent to the backend; larger is 413. */
    requestBytes: Limit.optional(),
    /** The largest response body relayed from the backend; larger is 502. */
    responseBytes: Limit.optional(),
  })
  .refine((c) => c.requestBytes !== undefined || c.responseBytes !== undefined, { message: 'Set requestBytes, responseBytes or both' });

/**
 * Caps request and response bodies of an API (or one operation). A request body larger than
 * `requestBytes` is refused 413 (RFC 9110 §15.5.14) before any quota is spent or the backend is
 * called; a backend response larger than `responseBytes` is not relayed: the caller gets 502, since
 * the failure is the backend's. A body of declared length is judged by its Content-Length; one
 * without (chunked) is read up to the limit before it is passed on, so that an oversized one can
 * still be refused with a status — which is why a response limit does not suit a streaming API
 * (Server-Sent Events).
 */
export const sizeLimits = definePolicy({
  name: 'size-limits',
  description: 'Refuses request bodies above requestBytes (413) and backend responses above responseBytes (502).',
  config: Config,
  build({ requestBytes, responseBytes }) {
    return {
      ...(requestBytes === undefined
        ? {}
        : {
            inbound(call) {
              if (call.body === null) return;
              if (typeof call.body === 'string') {
                if (new TextEncoder().encode(call.body).byteLength > requestBytes) throw tooLarge(requestBytes);
                return;
              }
              const declared = declaredLength(call.request.headers);
              if (declared !== null) {
                if (declared > requestBytes) throw tooLarge(requestBytes);
                return;
              }
              const stream = call.body as ReadableStream<Uint8Array>;
              return readAtMost(stream, requestBytes).then((chunks) => {
                if (chunks === null) throw tooLarge(requestBytes);
                call.body = replay(chunks);
              });
            },
          }),
      ...(responseBytes === undefined
        ? {}
        : {
            async response(response) {
              if (response.body === null) return response;
              const declared = declaredLength(response.headers);
              if (declared !== null) {
                if (declared <= responseBytes) return response;
                await response.body.cancel();
                throw tooLargeResponse(responseBytes);
              }
              const chunks = await readAtMost(response.body, responseBytes);
              if (chunks === null) throw tooLargeResponse(responseBytes);
              return new Response(replay(chunks), response);
            },
          }),
    };
  },
});

function tooLarge(limit: number): ApiError {
  return new ApiError('payload-too-large', { detail: `The request body of this API is at most ${limit} bytes` });
}

function tooLargeResponse(limit: number): ApiError {
  return new ApiError('bad-gateway', { detail: `The backend's response was larger than this API's limit of ${limit} bytes` });
}

function declaredLength(headers: Headers): number | null {
  const value = headers.get('content-length');
  if (value === null) return null;
  const n = Number(value);
  return Number.isInteger(n) && n >= 0 ? n : null;
}

/** The stream's chunks if it ends within `limit` bytes; null (and the stream cancelled) once it passes it. */
async function readAtMost(stream: ReadableStream<Uint8Array>, limit: number): Promise<Uint8Array[] | null> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return chunks;
    bytes += value.byteLength;
    if (bytes > limit) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
}

/** The bytes read, as a stream again: binary bodies pass unchanged. */
function replay(chunks: readonly Uint8Array[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      const chunk = chunks[i++];
      if (chunk === undefined) controller.close();
      else controller.enqueue(chunk);
    },
  });
}
