'use strict';
// Several operations at once on the binding's pool, and inputs copied
// before the call returns.

const test = require('node:test');
const assert = require('node:assert/strict');
const envelope = require('..');
const { key } = require('./helpers.js');

const { Key } = envelope;

test('8 concurrent seals and opens, with shared Key objects, each get their own result', async () => {
  const signer = await Key.load(key('signer.pem'));
  const alice = await Key.load(key('alice.pub'));
  const alicePriv = await Key.load(key('alice.pem'));
  const jobs = [];
  for (let i = 0; i < 8; i++) {
    const msg = Buffer.alloc(100000 + i * 4099, i + 1);
    jobs.push(envelope.seal(msg, { signKey: signer, recipients: alice, name: `m${i}` })
      .then((env) => envelope.open(env, { decryptKeys: alicePriv, verifyKeys: key('signer.pub') }))
      .then((r) => {
        assert.equal(r.name, `m${i}`);
        assert.ok(r.message.equals(msg), `message ${i} differs`);
      }));
  }
  await Promise.all(jobs);
});

test('8 concurrent failures each reject with their own error', async () => {
  const good = await envelope.seal(Buffer.from('x'.repeat(1000)), {
    signKey: key('signer.pem'), recipients: key('alice.pub'),
  });
  const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => {
    const bad = Buffer.from(good);
    if (i % 2) bad[bad.length - 1 - i] ^= 1;
    return envelope.open(bad, {
      decryptKeys: key('alice.pem'), verifyKeys: i % 2 ? key('signer.pub') : key('other-signer.pub'),
    });
  }));
  results.forEach((r, i) => {
    assert.equal(r.status, 'rejected', `job ${i} succeeded`);
    assert.ok(r.reason instanceof envelope.VerificationError, `job ${i}: ${r.reason}`);
    assert.equal(r.reason.code, i % 2 ? 'TAMPERED' : 'UNTRUSTED_SIGNER', `job ${i}`);
  });
});

test('the message is copied when seal is called: changing the Buffer later changes nothing',
     async () => {
  const original = Buffer.alloc(1 << 20, 0x5a);
  for (const shared of [false, true]) {
    const view = shared ? new Uint8Array(new SharedArrayBuffer(original.length)) :
      Buffer.alloc(original.length);
    view.set(original);
    const pending = envelope.seal(view, { signKey: key('signer.pem'), recipients: key('alice.pub') });
    view.fill(0x41);
    const r = await envelope.open(await pending, {
      decryptKeys: key('alice.pem'), verifyKeys: key('signer.pub'),
    });
    assert.ok(r.message.equals(original), `sealed the changed bytes (shared: ${shared})`);
  }
  // And the envelope when open is called.
  const sealed = await envelope.seal(original, { signKey: key('signer.pem'), recipients: key('alice.pub') });
  const pending = envelope.open(sealed, { decryptKeys: key('alice.pem'), verifyKeys: key('signer.pub') });
  sealed.fill(0);
  assert.ok((await pending).message.equals(original));
});

test('the pool is bounded and its size is reported', () => {
  assert.ok(Number.isInteger(envelope.threads) && envelope.threads >= 1 && envelope.threads <= 64,
            `threads ${envelope.threads}`);
});
