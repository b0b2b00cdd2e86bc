import '../fake/install';
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Query } from '../../src/protocol';
import { encodeQuery, parseQuery } from '../../src/query';

describe('parseQuery', () => {
  const cases: Array<[string, string | undefined, Query]> = [
    ['empty', '', {}],
    ['undefined', undefined, {}],
    ['leading question mark', '?a=1', { a: '1' }],
    ['plus is a space', 'query=dunk+low', { query: 'dunk low' }],
    ['repeated key', 'ids=a&ids=b&ids=c', { ids: ['a', 'b', 'c'] }],
    ['map key', 'metadata%5Bstore%5D=7&metadata[note]=x', { metadata: { store: '7', note: 'x' } }],
    ['percent escapes', 'q=%26%3D%27', { q: "&='" }],
  ];
  for (const [name, input, want] of cases) {
    test(name, () => {
      assert.deepEqual(parseQuery(input), want, `parseQuery(${input}) = ${JSON.stringify(parseQuery(input))}, want ${JSON.stringify(want)}`);
    });
  }
});

describe('encodeQuery', () => {
  test('round trip', () => {
    const q: Query = { query: 'a b&c', ids: ['1', '2'], metadata: { k: 'v w' }, limit: 5, consigned: true };
    const enc = encodeQuery(q);
    assert.equal(enc, 'query=a+b%26c&ids=1&ids=2&metadata%5Bk%5D=v+w&limit=5&consigned=true');
    assert.deepEqual(parseQuery(enc), { query: 'a b&c', ids: ['1', '2'], metadata: { k: 'v w' }, limit: '5', consigned: 'true' });
  });
  test('empty', () => {
    assert.equal(encodeQuery(undefined), '');
    assert.equal(encodeQuery({}), '');
  });
});
