import '../fake/install';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { buildCurl, joinUrl, shellQuote } from '../../src/curl';

/** argv runs the command through bash with `curl` replaced by an argument dumper. */
function argv(command: string, token: string): string[] {
  assert.ok(command.startsWith('curl '), `command does not start with curl: ${command}`);
  const script = `dump() { for a in "$@"; do printf '%s\\0' "$a"; done; }; dump ${command.slice(5)}`;
  const out = execFileSync('bash', ['-c', script], { env: { PATH: process.env.PATH, ALIAS_TOKEN: token } });
  return out.toString('utf8').split('\0').slice(0, -1);
}

const fakeToken = () => 'goatapi_' + 'q'.repeat(12) + Math.random().toString(36).slice(2);

describe('buildCurl', () => {
  test('GET with an encoded query reads the token from $ALIAS_TOKEN', () => {
    const cmd = buildCurl({ baseUrl: 'https://api.alias.org/', method: 'GET', path: '/api/v1/catalog', query: 'query=dunk+low&limit=5' });
    assert.equal(
      cmd,
      `curl -sS 'https://api.alias.org/api/v1/catalog?query=dunk+low&limit=5' -H "Authorization: Bearer $ALIAS_TOKEN"`,
    );
    const token = fakeToken();
    assert.ok(!cmd.includes(token));
    assert.deepEqual(argv(cmd, token), [
      '-sS',
      'https://api.alias.org/api/v1/catalog?query=dunk+low&limit=5',
      '-H',
      `Authorization: Bearer ${token}`,
    ]);
  });

  const queries: Array<[string, Record<string, any>, string]> = [
    ['spaces and ampersand', { query: "Jordan 1 & 'Chicago'" }, 'query=Jordan+1+%26+%27Chicago%27'],
    ['repeated key', { ids: ['a b', 'c'] }, 'ids=a+b&ids=c'],
    ['map parameter', { metadata: { 'store id': '7', note: 'x=y' } }, 'metadata%5Bstore+id%5D=7&metadata%5Bnote%5D=x%3Dy'],
    ['unicode and shell metacharacters', { q: 'é $HOME `id` "x"' }, 'q=%C3%A9+%24HOME+%60id%60+%22x%22'],
    ['numbers and booleans', { limit: 5, consigned: false }, 'limit=5&consigned=false'],
  ];
  for (const [name, query, wantQuery] of queries) {
    test(`query map: ${name}`, () => {
      const cmd = buildCurl({ baseUrl: 'http://127.0.0.1:8080', method: 'GET', path: '/api/v1/listings', query });
      const args = argv(cmd, fakeToken());
      assert.equal(args[1], `http://127.0.0.1:8080/api/v1/listings?${wantQuery}`);
      const parsed = new URL(args[1]).searchParams;
      for (const [k, v] of Object.entries(query)) {
        if (Array.isArray(v)) assert.deepEqual(parsed.getAll(k), v.map(String));
        else if (typeof v === 'object') for (const [sk, sv] of Object.entries(v)) assert.equal(parsed.get(`${k}[${sk}]`), sv);
        else assert.equal(parsed.get(k), String(v));
      }
    });
  }

  test('an encoded query with a single quote stays one argument', () => {
    const cmd = buildCurl({ baseUrl: 'http://h', method: 'GET', path: '/p', query: "q=it's" });
    assert.deepEqual(argv(cmd, 't').slice(0, 2), ['-sS', "http://h/p?q=it's"]);
  });

  test('POST with a JSON body', () => {
    const body = JSON.stringify({ items: [{ catalog_id: "o'neil", price_cents: '25000' }] });
    const cmd = buildCurl(
      { baseUrl: 'http://h', method: 'post', path: '/api/v1/listings/batch_create', body },
      { Authorization: 'Bearer [redacted]', 'Content-Type': 'application/json', Cookie: 'sid=1' },
    );
    const token = fakeToken();
    const args = argv(cmd, token);
    assert.deepEqual(args, [
      '-sS',
      '-X',
      'POST',
      'http://h/api/v1/listings/batch_create',
      '-H',
      `Authorization: Bearer ${token}`,
      '-H',
      'Content-Type: application/json',
      '--data-binary',
      body,
    ]);
    assert.ok(!cmd.includes('[redacted]'), 'recorded Authorization header leaked into the command');
    assert.ok(!cmd.includes('sid=1'), 'cookie leaked into the command');
  });

  test('DELETE without a body says -X DELETE', () => {
    const args = argv(buildCurl({ baseUrl: 'http://h', method: 'DELETE', path: '/api/v1/listings/1' }), 't');
    assert.deepEqual(args.slice(0, 4), ['-sS', '-X', 'DELETE', 'http://h/api/v1/listings/1']);
  });

  test('shellQuote', () => {
    assert.equal(shellQuote("a'b"), `'a'\\''b'`);
    assert.equal(shellQuote(''), `''`);
  });
});

describe('joinUrl', () => {
  const cases: Array<[string, string, string, string]> = [
    ['base with API prefix, path with it', 'https://api.alias.org/api/v1', '/api/v1/catalog', 'https://api.alias.org/api/v1/catalog'],
    ['base with API prefix and slash', 'http://127.0.0.1:4000/api/v1/', '/api/v1/test', 'http://127.0.0.1:4000/api/v1/test'],
    ['base with API prefix, relative path', 'https://api.alias.org/api/v1', '/catalog', 'https://api.alias.org/api/v1/catalog'],
    ['origin only', 'https://api.alias.org', '/api/v1/catalog', 'https://api.alias.org/api/v1/catalog'],
    ['prefix lookalike', 'https://h/api/v1', '/api/v10/x', 'https://h/api/v1/api/v10/x'],
    ['not a URL', 'not a url/', 'p', 'not a url/p'],
  ];
  for (const [name, base, path, want] of cases) {
    test(name, () => {
      const got = joinUrl(base, path);
      assert.equal(got, want, `joinUrl(${base}, ${path}) = ${got}, want ${want}`);
    });
  }
});
