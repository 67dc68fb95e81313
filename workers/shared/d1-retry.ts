/**
 * D1 with a short retry on SQLITE_BUSY. Deployed D1 serialises writes itself and never answers
 * busy; locally, the gateway and the control plane run as two workerd processes over one SQLite
 * file (that is what lets them share a database), and a write in one can find the file locked by
 * the other for a few milliseconds. Retrying a statement that failed on the lock is safe: it did not
 * run.
 */
const BUSY = /SQLITE_BUSY|database is locked/i;
const ATTEMPTS = 8;

async function retrying<T>(run: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (err) {
      if (attempt >= ATTEMPTS || !BUSY.test(String(err))) throw err;
      await new Promise((r) => setTimeout(r, 5 * 2 ** attempt + Math.random() * 10));
    }
  }
}

const real = new WeakMap<object, D1PreparedStatement>();

function wrapStatement(statement: D1PreparedStatement): D1PreparedStatement {
  const wrapped = new Proxy(statement, {
    get(target, prop) {
      if (prop === 'bind') return (...values: unknown[]) => wrapStatement(target.bind(...values));
      if (prop === 'first' || prop === 'run' || prop === 'all' || prop === 'raw') {
        return (...args: unknown[]) => retrying(() => (target[prop] as (...a: unknown[]) => Promise<unknown>).apply(target, args));
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  real.set(wrapped, statement);
  return wrapped;
}

export function withBusyRetry(db: D1Database): D1Database {
  return new Proxy(db, {
    get(target, prop) {
      if (prop === 'prepare') return (query: string) => wrapStatement(target.prepare(query));
      if (prop === 'batch')
        return <T>(statements: D1PreparedStatement[]) => retrying(() => target.batch<T>(statements.map((s) => real.get(s) ?? s)));
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
