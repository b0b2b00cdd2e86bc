import '../fake/install';
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { StatusResult } from '../../src/protocol';
import { statusView } from '../../src/statusBar';

const base: StatusResult = {
  version: '0.1.0',
  protocolVersion: 1,
  apiVersion: '1.3.6',
  baseUrl: 'http://127.0.0.1:9999',
  profile: 'work',
  fingerprint: 'goatapi_…a1b2',
  tokenStorage: 'keyring',
  dataDir: '/d',
};

describe('statusView', () => {
  const cases: Array<[string, Partial<StatusResult>, string, boolean]> = [
    ['keyring, open governor', { governors: [{ fingerprint: 'f', rate: 5, burst: 10, limited: false, queued: 0 }] }, '$(key) work', false],
    ['file fallback', { tokenStorage: 'file' }, '$(key) work $(warning) file', true],
    ['no token', { profile: '', tokenStorage: '' }, '$(key) no token', false],
    [
      'limited governor with queue',
      { governors: [{ fingerprint: 'f', rate: 0.5, burst: 1, limited: true, queued: 3, last429: '2025-12-09T18:00:00Z' }] },
      '$(key) work $(watch) limited (3 queued)',
      true,
    ],
  ];
  for (const [name, over, text, warning] of cases) {
    test(name, () => {
      const v = statusView({ ...base, ...over });
      assert.equal(v.text, text);
      assert.equal(v.warning, warning);
    });
  }
  test('tooltip explains storage and governor', () => {
    const v = statusView({
      ...base,
      tokenStorage: 'file',
      governors: [{ fingerprint: 'fp', rate: 0.5, burst: 1, limited: true, queued: 0, last429: 't', reason: '429 received' }],
    });
    assert.match(v.tooltip, /plain file/);
    assert.match(v.tooltip, /rate governor fp: limited, 0\.50\/s, burst 1, last 429 at t \(429 received\)/);
  });
});
