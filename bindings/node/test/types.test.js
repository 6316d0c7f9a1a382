'use strict';
// With no TypeScript compiler at hand: index.d.ts declares every name the
// module exports, with the right sort (function, class, constant), and
// everything it declares exists.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const envelope = require('..');

const DTS = fs.readFileSync(path.join(__dirname, '..', 'index.d.ts'), 'utf8');

function declared(kind) {
  const re = new RegExp(`^export (?:declare )?${kind} (\\w+)`, 'gm');
  return new Set([...DTS.matchAll(re)].map((m) => m[1]));
}

const functions = declared('function');
const classes = declared('class');
const consts = declared('const');
const types = new Set([...declared('type'), ...declared('interface')]);

test('every export is declared, as what it is', () => {
  for (const [name, value] of Object.entries(envelope)) {
    if (typeof value === 'function' && /^class\b/.test(Function.prototype.toString.call(value))) {
      assert.ok(classes.has(name), `class ${name} is not declared as a class`);
    } else if (typeof value === 'function') {
      assert.ok(functions.has(name), `function ${name} is not declared as a function`);
    } else {
      assert.ok(consts.has(name), `${name} is not declared as a const`);
    }
  }
});

test('everything declared exists', () => {
  for (const name of [...functions, ...classes, ...consts]) {
    assert.ok(name in envelope, `${name} is declared but not exported`);
  }
  for (const name of functions) assert.equal(typeof envelope[name], 'function', name);
  for (const name of types) assert.equal(name in envelope, false, `type ${name} is also a value`);
  assert.ok(functions.size >= 5 && classes.size >= 12, `${functions.size} functions, ` +
            `${classes.size} classes declared`);
});

test('the methods and properties declared on Key and the errors exist', async () => {
  const body = (cls) => DTS.slice(DTS.indexOf(`export class ${cls}`)).split('\n}')[0];
  const members = (cls) => [...body(cls).matchAll(/^ {2}(?:static |readonly )?(\w+)[(?:<]/gm)]
    .map((m) => m[1]).filter((n) => n !== 'constructor');
  const key = await envelope.Key.load(path.join(__dirname, '..', '..', '..', 'tests', 'keys',
                                                 'signer.pem'));
  for (const m of members('Key')) {
    assert.ok(m in key || m in envelope.Key, `Key.${m} is declared but does not exist`);
  }
  const err = new envelope.KMSError('KMS', 'x');
  for (const m of [...members('EnvelopeError'), ...members('KMSError')]) {
    assert.ok(m in err, `KMSError.${m} is declared but does not exist`);
  }
  assert.ok(members('Key').length >= 8, members('Key').join());
});
