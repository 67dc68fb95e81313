/**
 * 1,000,000 subscriptions in D1: `side` × `side` of them between applications and APIs copied from a
 * template row each, written with three INSERT … SELECT statements into the platform's local D1. The
 * copies are ordinary rows (same columns, foreign keys, indexes); no counter objects are made for
 * them — the gateway reads subscriptions from counter objects, never from D1, which is the claim the
 * bench checks by measuring the hot path before and after.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { getTableConfig, type SQLiteTable } from 'drizzle-orm/sqlite-core';
import { applications, apis } from '../workers/shared/db/schema.ts';
import { d1Execute, d1ExecuteStatements } from './local-d1.ts';
import { median } from './stats.ts';

function copies(table: SQLiteTable, templateId: string, prefix: string, count: number, overrides: Record<string, string>): string {
  const config = getTableConfig(table);
  const columns = config.columns.map((c) => c.name);
  const select = columns.map((c) => overrides[c] ?? (c === 'id' ? `'${prefix}' || seq.n` : `t.${c}`));
  return `WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < ${count}) INSERT INTO ${config.name} (${columns.join(', ')}) SELECT ${select.join(', ')} FROM ${config.name} AS t, seq WHERE t.id = '${templateId}';`;
}

export function addMassSubscriptions(
  persistTo: string,
  template: { apiId: string; applicationId: string; tier: string },
  side: number,
): { subscriptions: number; seconds: number } {
  const started = Date.now();
  // The three statements in one wrangler process (three before 2026-12-02: each start is a second or two).
  const statements = [
    copies(apis, template.apiId, 'api_mass', side, {
      name: `'Mass ' || seq.n`,
      context: `'/mass' || seq.n`,
      is_default_version: '0',
    }),
    copies(applications, template.applicationId, 'app_mass', side, { name: `'Mass ' || seq.n` }),
    `INSERT INTO subscriptions (id, application_id, api_id, tier, status, created_at, updated_at) SELECT 'sub_mass_' || a.rowid || '_' || p.rowid, a.id, p.id, '${template.tier}', 'UNBLOCKED', 0, 0 FROM applications AS a, apis AS p WHERE a.id LIKE 'app_mass%' AND p.id LIKE 'api_mass%';`,
  ];
  d1ExecuteStatements(persistTo, statements);
  const total = Number(d1Execute(persistTo, { command: 'SELECT count(*) AS n FROM subscriptions;' })[0]?.n ?? 0);
  return { subscriptions: total, seconds: (Date.now() - started) / 1000 };
}

/** Megabytes of file data the kernel has yet to write to disk (Dirty + Writeback in /proc/meminfo). */
function unwrittenMb(): number {
  const info = readFileSync('/proc/meminfo', 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(info)?.[1] ?? 0);
  return (kb('Dirty') + kb('Writeback')) / 1024;
}

/**
 * Records how much of the insert the kernel had yet to write, then writes it (`sync`), so disk
 * writeback cannot run on the next case's clock. Measured so far: 0–2 MB, which rules writeback out
 * as the reason the case after the insert measured low (decision 0014).
 */
export function flushToDisk(): { unwrittenMb: number; syncSeconds: number } {
  const before = unwrittenMb();
  const started = Date.now();
  spawnSync('sync');
  return { unwrittenMb: Math.round(before), syncSeconds: (Date.now() - started) / 1000 };
}

export interface Timing {
  medianMs: number;
  maxMs: number;
}

/** `count` sequential runs of `call`, timed end to end from this process. */
export async function timeCalls(count: number, call: () => Promise<void>): Promise<Timing> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = process.hrtime.bigint();
    await call();
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return { medianMs: Number(median(times).toFixed(2)), maxMs: Number(Math.max(...times).toFixed(2)) };
}
