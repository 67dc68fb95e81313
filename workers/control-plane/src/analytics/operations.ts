import { and, gte, inArray, lt, sql, type SQL } from 'drizzle-orm';
import { schema, type Database } from '../db.ts';
import { csvLine, GRANULARITY_MS, type UsageFilter } from './query.ts';

export interface OperationPoint {
  bucketStart: number;
  apiId: string;
  applicationId: string;
  /** A GraphQL operation's name, or its root fields (`Query.books`) when it has none. */
  operation: string;
  requests: number;
  errors: number;
  latencyMsAvg: number | null;
}

/** Calls per time bucket × API × application × operation, from every granularity of `usage_operations`. */
export async function queryOperations(db: Database, filter: UsageFilter): Promise<OperationPoint[]> {
  if ((filter.apiIds !== null && filter.apiIds.length === 0) || (filter.applicationIds !== null && filter.applicationIds.length === 0))
    return [];
  const o = schema.usageOperations;
  const conditions: SQL[] = [gte(o.bucketStart, filter.from), lt(o.bucketStart, filter.to)];
  if (filter.apiIds !== null) conditions.push(inArray(o.apiId, [...filter.apiIds]));
  if (filter.applicationIds !== null) conditions.push(inArray(o.applicationId, [...filter.applicationIds]));
  const size = GRANULARITY_MS[filter.granularity];
  // Inlined, not bound: D1 may bind a JS number as REAL, which would turn this into a real division.
  const bucket = sql<number>`(${o.bucketStart} / ${sql.raw(String(size))}) * ${sql.raw(String(size))}`;
  const rows = await db
    .select({
      bucketStart: bucket,
      apiId: o.apiId,
      applicationId: o.applicationId,
      operation: o.operation,
      requests: sql<number>`sum(${o.requests})`,
      errors: sql<number>`sum(${o.errors})`,
      latency: sql<number>`sum(${o.latencyMsSum})`,
    })
    .from(o)
    .where(and(...conditions))
    .groupBy(bucket, o.apiId, o.applicationId, o.operation)
    .orderBy(bucket, o.apiId, o.applicationId, o.operation)
    .limit(50_000);
  return rows.map((r) => {
    const requests = Number(r.requests);
    return {
      bucketStart: Number(r.bucketStart),
      apiId: r.apiId,
      applicationId: r.applicationId,
      operation: r.operation,
      requests,
      errors: Number(r.errors),
      latencyMsAvg: requests === 0 ? null : Math.round((Number(r.latency) / requests) * 10) / 10,
    };
  });
}

export function operationsToCsv(points: readonly OperationPoint[]): string {
  const lines = points.map((p) =>
    csvLine([new Date(p.bucketStart).toISOString(), p.apiId, p.applicationId, p.operation, p.requests, p.errors, p.latencyMsAvg]),
  );
  return ['bucket_start,api_id,application_id,operation,requests,errors,latency_ms_avg', ...lines].join('\n') + '\n';
}
