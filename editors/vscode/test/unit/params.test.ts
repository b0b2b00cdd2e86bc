import '../fake/install';
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { expandPath, orderedParams, parseValue, validateValue } from '../../src/commands/params';
import { ParamInfo } from '../../src/protocol';

const p = (over: Partial<ParamInfo>): ParamInfo => ({ name: 'x', in: 'query', type: 'string', required: false, ...over });

describe('validateValue', () => {
  const cases: Array<[string, ParamInfo, string, boolean]> = [
    ['required empty', p({ required: true }), '  ', false],
    ['optional empty', p({}), '', true],
    ['int64 ok', p({ type: 'int64' }), '25', true],
    ['int64 negative', p({ type: 'int64' }), '-3', true],
    ['int64 fraction', p({ type: 'int64' }), '2.5', false],
    ['int64 text', p({ type: 'int64' }), 'ten', false],
    ['double ok', p({ type: 'double' }), '10.5', true],
    ['double text', p({ type: 'double' }), 'x', false],
    ['object ok', p({ type: 'object' }), '{"a":"b"}', true],
    ['object array', p({ type: 'object' }), '[1]', false],
    ['object bad json', p({ type: 'object' }), '{a:', false],
    ['array ok', p({ type: 'array', in: 'body' }), '[{"id":"1"}]', true],
    ['array object', p({ type: 'array', in: 'body' }), '{}', false],
    ['repeated int64', p({ type: 'int64', repeated: true }), '1, 2,3', true],
    ['repeated int64 bad', p({ type: 'int64', repeated: true }), '1,b', false],
  ];
  for (const [name, param, raw, ok] of cases) {
    test(name, () => {
      const got = validateValue(param, raw);
      assert.equal(got === undefined, ok, `validateValue(${name}, ${JSON.stringify(raw)}) = ${got}, want ${ok ? 'ok' : 'an error'}`);
    });
  }
});

describe('parseValue', () => {
  test('int64 stays a string, double becomes a number', () => {
    assert.equal(parseValue(p({ type: 'int64' }), ' 25 '), '25');
    assert.equal(parseValue(p({ type: 'double' }), '10.5'), 10.5);
  });
  test('repeated splits on commas', () => {
    assert.deepEqual(parseValue(p({ repeated: true }), 'a, b,,c'), ['a', 'b', 'c']);
  });
  test('query object values become strings', () => {
    assert.deepEqual(parseValue(p({ type: 'object' }), '{"n":1,"s":"x"}'), { n: '1', s: 'x' });
  });
  test('body arrays stay JSON', () => {
    assert.deepEqual(parseValue(p({ type: 'array', in: 'body' }), '[{"price_cents":"100"}]'), [{ price_cents: '100' }]);
  });
});

describe('expandPath', () => {
  test('substitutes and escapes', () => {
    assert.equal(expandPath('/api/v1/listings/{id}/activate', { id: 'a/b c' }), '/api/v1/listings/a%2Fb%20c/activate');
  });
  test('leaves unknown placeholders', () => {
    assert.equal(expandPath('/x/{id}', {}), '/x/{id}');
  });
});

describe('orderedParams', () => {
  test('required first, omitted dropped', () => {
    const r = orderedParams({
      method: 'GET',
      path: '/x',
      summary: '',
      scope: 's',
      params: [p({ name: 'a' }), p({ name: 'b', required: true }), p({ name: 'pagination_token' }), p({ name: 'c', required: true })],
    }, ['pagination_token']);
    assert.deepEqual(r.required.map((x) => x.name), ['b', 'c']);
    assert.deepEqual(r.optional.map((x) => x.name), ['a']);
  });
});
