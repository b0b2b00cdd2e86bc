import '../fake/install';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { commandTable } from '../../src/commands/index';

const root = path.join(__dirname, '..', '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

describe('package.json', () => {
  const contributed: string[] = pkg.contributes.commands.map((c: { command: string }) => c.command);

  test('every registered command is contributed and vice versa', () => {
    assert.deepEqual([...contributed].sort(), Object.keys(commandTable).sort());
  });

  test('menus refer to contributed commands', () => {
    for (const [menu, items] of Object.entries<Array<{ command: string }>>(pkg.contributes.menus)) {
      for (const item of items) assert.ok(contributed.includes(item.command), `${menu} refers to unknown ${item.command}`);
    }
  });

  test('every setting is under aliasd.* with a default and a description', () => {
    const props = Object.entries<any>(pkg.contributes.configuration.properties);
    assert.ok(props.length >= 5);
    for (const [key, prop] of props) {
      assert.match(key, /^aliasd\./);
      assert.ok('default' in prop, `${key} has no default`);
      assert.ok(prop.markdownDescription || prop.description, `${key} has no description`);
    }
    for (const key of ['aliasd.path', 'aliasd.trace', 'aliasd.history.pageSize']) {
      assert.ok(pkg.contributes.configuration.properties[key], `${key} missing`);
    }
  });

  test('history view lives in its own activity-bar container', () => {
    const container = pkg.contributes.viewsContainers.activitybar.find((c: { id: string }) => c.id === 'aliasd');
    assert.ok(container, 'no aliasd activity-bar container');
    assert.ok(fs.existsSync(path.join(root, container.icon)), `icon ${container.icon} missing`);
    assert.deepEqual(pkg.contributes.views.aliasd.map((v: { id: string }) => v.id), ['aliasd.history']);
  });

  test('dependencies are pinned to exact versions', () => {
    for (const [name, version] of Object.entries<string>({ ...pkg.dependencies, ...pkg.devDependencies })) {
      assert.match(version, /^\d+\.\d+\.\d+$/, `${name}@${version} is not an exact version`);
    }
  });

  test('engines.vscode is not older than @types/vscode', () => {
    const engine = /^\^(\d+)\.(\d+)\./.exec(pkg.engines.vscode);
    const types = /^(\d+)\.(\d+)\./.exec(pkg.devDependencies['@types/vscode']);
    assert.ok(engine && types);
    assert.ok(Number(engine[1]) * 1000 + Number(engine[2]) >= Number(types[1]) * 1000 + Number(types[2]));
  });
});
