import { and, eq, gte, inArray, lt, sql, type SQL } from 'drizzle-orm';
import { schema, type Database } from '../db.ts';
import { csvLine, GRANULARITY_MS, type UsageFilter } from './query.ts';

export interface ErrorPoint {
  bucketStart: number;
  apiId: string;
  applicationId: string;
  /** WSO2-style problem code of a gateway answer (e.g. 900901, 900804), or a backend's HTTP status. */
  code: number;
  count: number;
}

/** Error answers per time bucket × API × application × code, from every granularity of `usage_errors`. */
export async function queryErrors(db: Database, filter: UsageFilter & { readonly code?: number | undefined }): Promise<ErrorPoint[]> {
  if ((filter.apiIds !== null && filter.apiIds.length === 0) || (filter.applicationIds !== null && filter.applicationIds.length === 0))
    return [];
  const e = schema.usageErrors;
  const conditions: SQL[] = [gte(e.bucketStart, filter.from), lt(e.bucketStart, filter.to)];
  if (filter.apiIds !== null) conditions.push(inArray(e.apiId, [...filter.apiIds]));
  if (filter.applicationIds !== null) conditions.push(inArray(e.applicationId, [...filter.applicationIds]));
  if (filter.code !== undefined) conditions.push(eq(e.errorCode, filter.code));
  const size = GRANULARITY_MS[filter.granularity];
  // Inlined, not bound: D1 may bind a JS number as REAL, which would turn this into a real division.
  const bucket = sql<number>`(${e.bucketStart} / ${sql.raw(String(size))}) * ${sql.raw(String(size))}`;
  const rows = await db
    .select({ bucketStart: bucket, apiId: e.apiId, applicationId: e.applicationId, code: e.errorCode, count: sql<number>`sum(${e.count})` })
    .from(e)
    .where(and(...conditions))
    .groupBy(bucket, e.apiId, e.applicationId, e.errorCode)
    .orderBy(bucket, e.apiId, e.applicationId, e.errorCode)
    .limit(50_000);
  return rows.map((r) => ({ ...r, bucketStart: Number(r.bucketStart), count: Number(r.count) }));
}

export function errorsToCsv(points: readonly ErrorPoint[]): string {
  const lines = points.map((p) => csvLine([new Date(p.bucketStart).toISOString(), p.apiId, p.applicationId, p.code, p.count]));
  return ['bucket_start,api_id,application_id,code,count', ...lines].join('\n') + '\n';
}
