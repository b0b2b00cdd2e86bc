// Makes require('vscode') return the fake. Import this first in every unit
// test file.
import Module = require('module');
import * as fake from './vscode';

const mod = Module as unknown as { _load: (request: string, parent: unknown, isMain: boolean) => unknown };
const original = mod._load;
mod._load = function load(request: string, parent: unknown, isMain: boolean) {
  if (request === 'vscode') return fake;
  return original.call(this, request, parent, isMain);
};
