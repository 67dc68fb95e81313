import { z, type RouteConfig } from '@hono/zod-openapi';
import { PROBLEMS, PROBLEM_BASE, type ProblemCode } from '../../../shared/problem.ts';

export const ProblemSchema = z
  .object({
    type: z
      .string()
      .url()
      .openapi({ example: `${PROBLEM_BASE}validation-failed` }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    code: z.number().int().optional().openapi({ description: "WSO2 API Manager's numeric error code, where it has one" }),
    errors: z.array(z.object({ pointer: z.string(), detail: z.string(), line: z.number().int().optional() })).optional(),
  })
  .openapi('Problem', { description: 'RFC 9457 problem details' });

/**
 * The problem responses a route documents, from the same table the renderer uses, so the OpenAPI
 * document and the actual statuses cannot drift (a test holds them together).
 */
export function problems(...codes: ProblemCode[]): RouteConfig['responses'] {
  const byStatus = new Map<number, ProblemCode[]>();
  for (const code of ['validation-failed', 'internal', ...codes] as ProblemCode[]) {
    const status = PROBLEMS[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const out: RouteConfig['responses'] = {};
  for (const [status, list] of byStatus) {
    out[status] = {
      description: list.map((c) => PROBLEMS[c].title).join('; '),
      content: { 'application/problem+json': { schema: ProblemSchema } },
    };
  }
  return out;
}

/** A required JSON request body; unknown fields are rejected by the strict schema itself. */
export function jsonBody<T extends z.ZodType>(schema: T, description?: string) {
  return { required: true, description, content: { 'application/json': { schema } } } as const;
}

export function jsonResponse<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { 'application/json': { schema } } } as const;
}

/** An IPv4 or IPv6 address, or a CIDR range of either. */
export const IpOrCidr = z.string().regex(/^([0-9.]+(\/\d{1,2})?|[0-9a-fA-F:]+(\/\d{1,3})?)$/, 'An IPv4 or IPv6 address or CIDR range');

export const PagingQuery = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .optional()
    .transform((v) => Math.min(v ?? 25, 100))
    .openapi({ description: 'Page size, clamped to 100' }),
  offset: z.coerce.number().int().min(0).default(0),
});

export const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({ count: z.number().int(), total: z.number().int(), limit: z.number().int(), offset: z.number().int(), list: z.array(item) });
