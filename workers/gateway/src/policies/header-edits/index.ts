import { HeaderEditsSchema } from '../../../../shared/revision.ts';
import { definePolicy } from '../step.ts';

/**
 * Sets and removes request headers on the way to the backend and response headers on the way back.
 * Also what an API's `headerEdits` field compiles to (see ../compile.ts).
 */
export const headerEdits = definePolicy({
  name: 'header-edits',
  description: 'Sets and removes headers of the request to the backend and of the response to the client.',
  config: HeaderEditsSchema,
  build(config) {
    const { request, response } = config;
    const setRequest = Object.entries(request.set);
    const removeRequest = request.remove;
    const setResponse = Object.entries(response.set);
    const removeResponse = response.remove;
    return {
      ...(setRequest.length === 0 && removeRequest.length === 0
        ? {}
        : {
            inbound(call) {
              for (const [name, value] of setRequest) call.extraHeaders[name] = value;
              if (removeRequest.length === 0) return;
              const headers = new Headers(call.headers);
              for (const name of removeRequest) headers.delete(name);
              call.headers = headers;
            },
          }),
      ...(setResponse.length === 0 && removeResponse.length === 0
        ? {}
        : {
            outbound(headers) {
              for (const name of removeResponse) headers.delete(name);
              for (const [name, value] of setResponse) headers.set(name, value);
            },
          }),
    };
  },
});
