/**
 * Every port the bench and its harnesses use, shifted together: `--port-base=N` (or BENCH_PORT_BASE)
 * puts the bench's gateway at N and every other port as far from its default as the gateway moved
 * (default 48787), so two benches on one machine (two worktrees) do not take each other's ports.
 */
export const PORT_SHIFT =
  Number(process.argv.find((a) => a.startsWith('--port-base='))?.slice('--port-base='.length) ?? process.env['BENCH_PORT_BASE'] ?? 48787) -
  48787;
