import { describe, expect, it } from 'vitest';
import { parseRevision } from '../../../shared/revision.ts';

describe('stored revisions and API types', () => {
  it('parses a revision frozen before API types as an HTTP API without streaming settings', () => {
    const parsed = parseRevision({ name: 'Old', context: '/old', version: 'v1', resources: [{ method: 'GET', path: '/x' }] });
    expect(parsed.ok && parsed.definition.type).toBe('HTTP');
    expect(parsed.ok && parsed.definition.streaming).toBeNull();
  });

  it('keeps a WS revision type and fills in the streaming defaults it predates', () => {
    const parsed = parseRevision({
      type: 'WS',
      name: 'Chat',
      context: '/chat',
      version: 'v1',
      streaming: { maxConnectionsPerSubscription: 2 },
    });
    expect(parsed.ok && parsed.definition).toMatchObject({
      type: 'WS',
      streaming: { allowQueryToken: false, idleTimeoutSeconds: 300, maxDurationSeconds: 3600, maxConnectionsPerSubscription: 2 },
    });
  });
});
