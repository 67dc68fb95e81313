/** The bench's one definition of a median and of a percentile (nearest rank), for every table. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length % 2 === 1) return sorted[mid] ?? 0;
  // The mean of the middle two, without the float tail it gains (1.253 and 1.254 give 1.2534999999999998).
  return Math.round((((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2) * 1e6) / 1e6;
}

/** The `q` quantile of values already sorted ascending, by nearest rank. */
export function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}
