import '../fake/install';
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { REDACTED, redactParams, redactString } from '../../src/redact';

describe('redactParams', () => {
  const token = 'goatapi_' + 'z'.repeat(30);
  test('token/add params lose the token', () => {
    const got = redactParams('alias/token/add', { name: 'default', token });
    assert.deepEqual(got, { name: 'default', token: REDACTED });
    assert.ok(!JSON.stringify(got).includes(token));
  });
  test('nested secret keys and PAT-looking strings anywhere', () => {
    const got = JSON.stringify(
      redactParams('x', { headers: { Authorization: 'Bearer abc.def' }, list: [`see ${token} here`], Password: 'p' }),
    );
    assert.ok(!got.includes(token) && !got.includes('abc.def') && !got.includes('"p"'), got);
  });
  test('non-secret values stay', () => {
    assert.deepEqual(redactParams('alias/request', { method: 'GET', path: '/api/v1/test', query: { limit: 5 } }), {
      method: 'GET',
      path: '/api/v1/test',
      query: { limit: 5 },
    });
  });
  test('redactString', () => {
    assert.equal(redactString(`Authorization: Bearer ${token}`), `Authorization: Bearer ${REDACTED}`);
    assert.equal(redactString(`token=${token}`), `token=${REDACTED}`);
  });
});
