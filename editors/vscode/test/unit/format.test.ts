import '../fake/install';
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { entryDocument, entryLabel, pagesDocument, prettyBody, responseDocument } from '../../src/format';
import { HistoryDetail } from '../../src/protocol';
import { notFoundEntry } from '../fake/entries';

describe('entryDocument', () => {
  const d: HistoryDetail = {
    ...notFoundEntry({ query: 'x=1' }),
    request: { headers: { Authorization: '[redacted]', Accept: 'application/json' }, size: 0 },
    response: {
      headers: { 'X-Request-Id': '0a9b8c7d-1111-2222-3333-444455556666' },
      body: '{"code":5,"message":"catalog item not found","details":[]}',
      size: 58,
    },
  };
  const text = entryDocument(d);
  const want = [
    '# 404 · GET /api/v1/catalog/nope?x=1',
    'Request ID:  0a9b8c7d-1111-2222-3333-444455556666',
    'History ID:  h-0002',
    '## Diagnostic',
    'ERROR: Catalog item not found',
    'No catalog item has the id "nope".',
    'Hint: Search the catalog first',
    '## API error',
    'code: 5 (NOT_FOUND)',
    'message: catalog item not found',
    '## Request',
    'Accept: application/json',
    '## Response',
    'HTTP 404',
    '"message": "catalog item not found"',
  ];
  for (const w of want) {
    test(`contains ${JSON.stringify(w)}`, () => {
      assert.ok(text.includes(w), `entryDocument() lacks ${JSON.stringify(w)}:\n${text}`);
    });
  }
  test('sections are in order', () => {
    const order = ['## Diagnostic', '## API error', '## Request', '## Response'].map((h) => text.indexOf(h));
    assert.deepEqual([...order].sort((a, b) => a - b), order);
  });
  test('truncated response says so', () => {
    const t = entryDocument({ ...d, response: { body: '{"a":', size: 9000, truncated: true } });
    assert.match(t, /response truncated; 9000 bytes in full/);
    assert.match(t, /\{"a":/);
  });
});

describe('responseDocument', () => {
  test('header has status, time, request ID; body is pretty JSON', () => {
    const text = responseDocument('get', '/api/v1/test', {
      status: 200,
      requestId: 'rid-1',
      body: { ok: true },
      durationMs: 12.6,
      cache: 'miss',
      historyId: 'h1',
    });
    const lines = text.split('\n');
    assert.equal(lines[0], '// 200 · GET /api/v1/test');
    assert.equal(lines[1], '// request-id: rid-1');
    assert.equal(lines[2], '// time: 13 ms · cache: miss');
    assert.equal(lines[3], '// history-id: h1');
    assert.deepEqual(JSON.parse(lines.slice(4).join('\n')), { ok: true });
  });
  test('diagnostic and API error appear as comments', () => {
    const text = responseDocument('GET', '/x', {
      status: 403,
      requestId: 'r',
      body: { code: 7 },
      durationMs: 1,
      cache: 'bypass',
      historyId: 'h',
      error: { code: 7, codeName: 'PERMISSION_DENIED', message: 'no scope' },
      diagnostic: { severity: 'error', title: 'Token lacks scope', detail: 'line1\nline2', hint: 'add scope' },
    });
    assert.match(text, /\/\/ error: Token lacks scope\n\/\/   line1\n\/\/   line2\n\/\/ hint: add scope\n/);
    assert.match(text, /\/\/ api error: 7 PERMISSION_DENIED: no scope/);
  });
});

describe('pagesDocument', () => {
  test('counts items and pages and lists request IDs', () => {
    const text = pagesDocument('/api/v1/catalog', { items: [{ a: 1 }, { a: 2 }, { a: 3 }], pages: 2, requestIds: ['r1', 'r2'], truncated: true });
    assert.match(text, /^\/\/ 3 items in 2 pages · GET \/api\/v1\/catalog · truncated\n\/\/ request-ids: r1, r2\n/);
  });
});

describe('small helpers', () => {
  test('entryLabel upper-cases the method', () => {
    assert.equal(entryLabel({ status: 201, method: 'post', path: '/p' }), '201 · POST /p');
  });
  test('prettyBody leaves non-JSON alone', () => {
    assert.equal(prettyBody('<html>'), '<html>');
    assert.equal(prettyBody(''), '(empty)');
    assert.equal(prettyBody('{"a":1}'), '{\n  "a": 1\n}');
  });
});
