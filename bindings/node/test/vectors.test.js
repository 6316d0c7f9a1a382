'use strict';
// Every line of tests/vectors/index.tsv, opened through the binding: the
// same outcome as the C library's and the reference reader's, with the
// error class the code belongs to.

const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const envelope = require('..');
const { errorClass } = require('../lib/errors.js');
const { REPO } = require('./helpers.js');

const DIR = path.join(REPO, 'tests', 'vectors');
const OPTION = { max_size: 'maxSize', max_age: 'maxAge', max_skew: 'maxSkew' };

function lines() {
  return fs.readFileSync(path.join(DIR, 'index.tsv'), 'utf8').split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const [file, decrypt, trusted, options, expect, , name, sha512] = l.split('\t');
      return { file, decrypt, trusted, options, expect, name, sha512 };
    });
}

function openOptions(v) {
  const opts = {
    decryptKeys: path.join(DIR, 'keys', v.decrypt),
    verifyKeys: v.trusted.split(',').map((k) => path.join(DIR, 'keys', k)),
  };
  if (v.options !== '-') {
    for (const o of v.options.split(',')) {
      const [k, n] = o.split('=');
      assert.ok(OPTION[k], `unknown option ${k} in index.tsv`);
      opts[OPTION[k]] = Number(n);
    }
  }
  return opts;
}

test('every vector opens, or fails with its code and class, as index.tsv says', async () => {
  const all = lines();
  assert.ok(all.length > 100, `only ${all.length} vectors`);
  for (const v of all) {
    const what = `${v.file} with ${v.decrypt} (${v.options})`;
    const data = fs.readFileSync(path.join(DIR, v.file));
    let got;
    try {
      got = await envelope.open(data, openOptions(v));
    } catch (e) {
      assert.ok(e instanceof envelope.EnvelopeError, `${what}: ${e}`);
      assert.equal(e.code, v.expect, `${what}: ${e.message}`);
      assert.ok(e instanceof errorClass(e.code), `${what}: ${e.name} for ${e.code}`);
      continue;
    }
    assert.equal(v.expect, 'OK', `${what} opened, expected ${v.expect}`);
    assert.equal(got.name, v.name, what);
    assert.equal(got.sha512, v.sha512, what);
    assert.equal(crypto.createHash('sha512').update(got.message).digest('hex'), v.sha512, what);
  }
});

test('maxSkew is checked', async () => {
  const v = lines().find((l) => l.expect === 'OK');
  await assert.rejects(envelope.open(fs.readFileSync(path.join(DIR, v.file)),
                                     { ...openOptions(v), maxSkew: -5 }), RangeError);
  const e = await envelope.open(fs.readFileSync(path.join(DIR, v.file)),
                                { ...openOptions(v), maxSkew: 86401 }).catch((x) => x);
  assert.ok(e instanceof envelope.ArgumentError, `got ${e}`);
  assert.equal(e.code, 'INVALID_ARGUMENT');
});
