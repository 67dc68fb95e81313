/** `turnpike init`: a project a publisher can apply at once against `npm start`. */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CliError } from '../output.ts';
import { PROJECT_FILE } from './schema.ts';

export interface InitOptions {
  name: string;
  context: string;
  version: string;
  backend: string;
  controlPlane: string;
}

export function projectYaml(o: InitOptions): string {
  return `# A Turnpike API project: apply it with \`turnpike apply\`, deploy it with \`turnpike deploy\`.
# \${params.NAME} comes from the chosen environment's params; \${env.NAME} from the shell (secrets).
api:
  name: ${o.name}
  context: ${o.context}
  version: ${o.version}
  description: ${o.name}, published as code
  tags: [example]
  definition: openapi.yaml
  # Tiers developers may subscribe on (subscription throttling policies).
  subscriptionTiers: [Gold, Silver, Bronze]
  lifecycle: PUBLISHED
  # Per operation: authType (oauth2 | api_key | oauth2_or_api_key | none), scopes, throttlingPolicy, policies.
  resources:
    GET /health:
      authType: none
  endpoints:
    production: \${params.backend}

environments:
  local:
    controlPlane: ${o.controlPlane}
    gateways: [production]
    params:
      backend: ${o.backend}
`;
}

function openapiYaml(o: InitOptions): string {
  return `openapi: 3.0.3
info:
  title: ${o.name}
  version: ${o.version}
paths:
  /items:
    get:
      summary: List items
      responses:
        '200': { description: The items }
    post:
      summary: Create an item
      responses:
        '201': { description: Created }
  /items/{id}:
    get:
      summary: One item
      parameters:
        - { name: id, in: path, required: true, schema: { type: string } }
      responses:
        '200': { description: The item }
  /health:
    get:
      summary: Liveness, open to everyone
      responses:
        '200': { description: Alive }
`;
}

export function scaffold(dir: string, o: InitOptions, force = false): string[] {
  const files = [join(dir, PROJECT_FILE), join(dir, 'openapi.yaml')];
  const existing = files.filter((f) => existsSync(f));
  if (existing.length > 0 && !force) throw new CliError(`Refusing to overwrite ${existing.join(', ')} (--force replaces them)`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(files[0] as string, projectYaml(o));
  writeFileSync(files[1] as string, openapiYaml(o));
  return files;
}
