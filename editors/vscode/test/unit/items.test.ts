import '../fake/install';
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as vscode from 'vscode';
import { relativeTime } from '../../src/format';
import { entryItem, OPEN_COMMAND } from '../../src/history/items';
import { entry, notFoundEntry } from '../fake/entries';

const now = new Date('2025-12-09T18:30:00.000Z');

describe('relativeTime', () => {
  const cases: Array<[string, string, string]> = [
    ['same instant', '2025-12-09T18:30:00.000Z', 'just now'],
    ['future', '2025-12-09T18:31:00.000Z', 'just now'],
    ['4 seconds', '2025-12-09T18:29:56.000Z', 'just now'],
    ['42 seconds', '2025-12-09T18:29:18.000Z', '42s ago'],
    ['5 minutes', '2025-12-09T18:25:00.000Z', '5m ago'],
    ['59 minutes', '2025-12-09T17:31:00.000Z', '59m ago'],
    ['3 hours', '2025-12-09T15:29:00.000Z', '3h ago'],
    ['2 days', '2025-12-07T18:00:00.000Z', '2d ago'],
    ['7 days', '2025-12-02T18:30:00.000Z', '7d ago'],
    ['older than a week', '2025-11-01T08:00:00.000Z', '2025-11-01'],
    ['garbage', 'not a time', 'unknown time'],
  ];
  for (const [name, then, want] of cases) {
    test(name, () => {
      const got = relativeTime(then, now);
      assert.equal(got, want, `relativeTime(${then}) = ${got}, want ${want}`);
    });
  }
});

describe('entryItem', () => {
  test('label, description and command', () => {
    const e = entry();
    const item = entryItem(e, now);
    assert.equal(item.label, '200 · GET /api/v1/catalog');
    assert.equal(item.description, '6f1c2a9e-4b7d-4a52-9f0e-1d2c3b4a5f60 · 5m ago');
    assert.equal(item.id, 'h-0001');
    assert.equal(item.contextValue, 'aliasdEntry');
    assert.equal(item.command?.command, OPEN_COMMAND);
    assert.deepEqual(item.command?.arguments, [{ kind: 'entry', entry: e }]);
    assert.match(item.accessibilityInformation!.label, /request ID 6f1c2a9e-4b7d-4a52-9f0e-1d2c3b4a5f60/);
  });

  test('no response reads ERR and has no request ID', () => {
    const item = entryItem(entry({ status: 0, requestId: '', method: 'post' }), now);
    assert.equal(item.label, 'ERR · POST /api/v1/catalog');
    assert.equal(item.description, '5m ago');
    assert.equal(item.contextValue, 'aliasdEntry.error');
  });

  const icons: Array<[string, Parameters<typeof entry>[0], string, string]> = [
    ['2xx without diagnostic', {}, 'pass', 'testing.iconPassed'],
    ['404 with error diagnostic', notFoundEntry(), 'error', 'problemsErrorIcon.foreground'],
    [
      'stale cache warning',
      { diagnostic: { severity: 'warning', title: 'Served from stale cache', detail: 'offline' } },
      'warning',
      'problemsWarningIcon.foreground',
    ],
    [
      'info diagnostic',
      { diagnostic: { severity: 'info', title: 'Retried', detail: 'after 503' } },
      'info',
      'problemsInfoIcon.foreground',
    ],
    ['4xx without diagnostic', { status: 409 }, 'warning', 'problemsWarningIcon.foreground'],
    ['5xx without diagnostic', { status: 503 }, 'error', 'problemsErrorIcon.foreground'],
    ['network failure', { status: 0 }, 'error', 'problemsErrorIcon.foreground'],
  ];
  for (const [name, over, icon, color] of icons) {
    test(`icon: ${name}`, () => {
      const item = entryItem(entry(over), now);
      const got = item.iconPath as vscode.ThemeIcon;
      assert.equal(got.id, icon, `icon(${name}) = ${got.id}, want ${icon}`);
      assert.equal(colorId(got), color, `color(${name}) = ${colorId(got)}, want ${color}`);
    });
  }

  test('tooltip carries the diagnostic and the API error', () => {
    const item = entryItem(notFoundEntry(), now);
    const md = (item.tooltip as vscode.MarkdownString).value;
    assert.match(md, /Catalog item not found/);
    assert.match(md, /No catalog item has the id "nope"\\\./);
    assert.match(md, /Search the catalog first/);
    assert.match(md, /API error 5 NOT\\_FOUND: catalog item not found/);
    assert.match(md, /request ID: 0a9b8c7d\\-1111/);
    assert.equal(item.contextValue, 'aliasdEntry.error');
  });
});

function colorId(icon: vscode.ThemeIcon): string | undefined {
  return (icon.color as unknown as { id?: string } | undefined)?.id;
}
