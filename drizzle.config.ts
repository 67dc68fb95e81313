import { defineConfig } from 'drizzle-kit';

// drizzle-kit writes into the folder wrangler applies from, so there is one migration history.
export default defineConfig({
  dialect: 'sqlite',
  schema: './workers/shared/db/schema.ts',
  out: './d1-migrations',
});
