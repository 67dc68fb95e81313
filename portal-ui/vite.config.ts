import { defineConfig } from 'vite';

export default defineConfig({
  // The largest chunk is Swagger UI (swagger-ui-dist, ~1.5 MB raw / ~430 kB gzip), loaded only by the
  // API reference tab through a dynamic import; the rest of the portal stays under the default limit.
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 1600 },
});
