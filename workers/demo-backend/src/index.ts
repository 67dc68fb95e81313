import { library } from './library.ts';

/**
 * The Petstore behind the demo API. It keeps its pets in memory per isolate (it is a demo), answers
 * JSON, and echoes the request it received at /echo (and below it) so a developer can see exactly what
 * the gateway forwarded (no credentials, a backend request id). /library/graphql is the Library, a
 * GraphQL endpoint (library.ts).
 */
interface Pet {
  id: number;
  name: string;
  tag: string;
}

const pets: Pet[] = [
  { id: 1, name: 'Rex', tag: 'dog' },
  { id: 2, name: 'Tom', tag: 'cat' },
  { id: 3, name: 'Polly', tag: 'parrot' },
];

const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    // Names the service, so `npm start` knows it reached its own process (scripts/lib/platform.ts).
    if (url.pathname === '/_turnpike/health') return json({ status: 'ok', service: 'turnpike-demo-backend' });
    // The Library, behind the demo GraphQL API.
    if (url.pathname === '/library/graphql') return library(request, url);
    const path = url.pathname.replace(/^\/petstore/, '') || '/';
    if (path === '/pets' && request.method === 'GET') {
      const limit = Number(url.searchParams.get('limit') ?? pets.length);
      return json(pets.slice(0, Number.isFinite(limit) ? limit : pets.length));
    }
    if (path === '/pets' && request.method === 'POST') {
      const body = (await request.json().catch(() => null)) as Partial<Pet> | null;
      if (body === null || typeof body.name !== 'string') return json({ error: 'name is required' }, 400);
      const pet = { id: pets.length + 1, name: body.name, tag: typeof body.tag === 'string' ? body.tag : 'unknown' };
      pets.push(pet);
      return json(pet, 201);
    }
    const byId = /^\/pets\/(\d+)$/.exec(path);
    if (byId !== null && request.method === 'GET') {
      const pet = pets.find((p) => p.id === Number(byId[1]));
      return pet === undefined ? json({ error: 'no such pet' }, 404) : json(pet);
    }
    if (path === '/echo' || path.startsWith('/echo/')) {
      return json({ method: request.method, path: url.pathname, query: url.search, headers: Object.fromEntries(request.headers) });
    }
    return json({ error: 'not found' }, 404);
  },
} satisfies ExportedHandler;
