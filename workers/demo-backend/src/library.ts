/**
 * The Library behind the demo GraphQL API: a small schema executed by `graphql`, the reference
 * implementation, over GraphQL over HTTP (JSON POST, or GET for queries). Books and authors live in
 * memory per isolate (it is a demo). Introspection is on, so the publisher can create the API by
 * introspecting this endpoint (scripts/lib/seed.ts does).
 */
import { buildSchema, graphql } from 'graphql';

export const LIBRARY_SDL = /* GraphQL */ `
  "The demo library: books and their authors."
  type Query {
    "Books, oldest first; first cuts the list."
    books(first: Int): [Book!]!
    book(id: ID!): Book
    authors: [Author!]!
  }

  type Mutation {
    "Adds a book by an existing author."
    addBook(title: String!, authorId: ID!, year: Int!): Book!
  }

  type Book {
    id: ID!
    title: String!
    year: Int!
    "What the book costs (a field behind its own scope at the gateway)."
    price: Float
    author: Author!
  }

  type Author {
    id: ID!
    name: String!
    books: [Book!]!
  }
`;

interface BookRow {
  id: string;
  title: string;
  year: number;
  price: number;
  authorId: string;
}

const authorRows = [
  { id: '1', name: 'Ursula K. Le Guin' },
  { id: '2', name: 'Italo Calvino' },
];
const bookRows: BookRow[] = [
  { id: '1', title: 'A Wizard of Earthsea', year: 1968, price: 9.5, authorId: '1' },
  { id: '2', title: 'The Dispossessed', year: 1974, price: 12, authorId: '1' },
  { id: '3', title: 'Invisible Cities', year: 1972, price: 11, authorId: '2' },
];

const schema = buildSchema(LIBRARY_SDL);

interface AuthorView {
  id: string;
  name: string;
  books: () => BookView[];
}
interface BookView extends Omit<BookRow, 'authorId'> {
  author: () => AuthorView;
}

function bookView(row: BookRow): BookView {
  return {
    id: row.id,
    title: row.title,
    year: row.year,
    price: row.price,
    author: () => authorView(authorRows.find((a) => a.id === row.authorId) ?? { id: row.authorId, name: 'unknown' }),
  };
}
function authorView(row: { id: string; name: string }): AuthorView {
  return { id: row.id, name: row.name, books: () => bookRows.filter((b) => b.authorId === row.id).map(bookView) };
}

const rootValue = {
  books: ({ first }: { first?: number | null }) => bookRows.slice(0, first ?? bookRows.length).map(bookView),
  book: ({ id }: { id: string }) => {
    const row = bookRows.find((b) => b.id === id);
    return row === undefined ? null : bookView(row);
  },
  authors: () => authorRows.map(authorView),
  addBook: ({ title, authorId, year }: { title: string; authorId: string; year: number }) => {
    if (!authorRows.some((a) => a.id === authorId)) throw new Error(`No author ${authorId}`);
    const row = { id: String(bookRows.length + 1), title, year, price: 10, authorId };
    bookRows.push(row);
    return bookView(row);
  },
};

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

export async function library(request: Request, url: URL): Promise<Response> {
  let source: unknown;
  let operationName: unknown;
  let variables: unknown;
  if (request.method === 'GET') {
    source = url.searchParams.get('query');
    operationName = url.searchParams.get('operationName');
    const raw = url.searchParams.get('variables');
    variables = raw === null ? undefined : JSON.parse(raw);
  } else if (request.method === 'POST') {
    const body = (await request.json().catch(() => null)) as Record<string, unknown> | null;
    source = body?.query;
    operationName = body?.operationName;
    variables = body?.variables;
  } else return json({ errors: [{ message: 'GET or POST' }] }, 405);
  if (typeof source !== 'string') return json({ errors: [{ message: 'No query' }] }, 400);
  const result = await graphql({
    schema,
    source,
    rootValue,
    operationName: typeof operationName === 'string' ? operationName : null,
    variableValues: typeof variables === 'object' && variables !== null ? (variables as Record<string, unknown>) : null,
  });
  return json(result);
}
