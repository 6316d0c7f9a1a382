'use strict';
// Rejections: each bad input fails with its own class and code, and leaves
// no output behind.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const envelope = require('..');
const { errorClass } = require('../lib/errors.js');
const { REPO, key, scratch, rejects, forward, parseHeader } = require('./helpers.js');

const { Key } = envelope;
const MSG = Buffer.from('the quarterly figures, signed\n'.repeat(3000));
const OPEN = { decryptKeys: key('alice.pem'), verifyKeys: key('signer.pub') };

let sealedOnce = null;
async function sealed() {
  sealedOnce ??= await envelope.seal(MSG, { signKey: key('signer.pem'), recipients: key('alice.pub') });
  return Buffer.from(sealedOnce);
}

// openFile must leave nothing in dir, whatever the failure.
async function openFileFails(t, env, cls, code, opts = OPEN) {
  const dir = scratch(t);
  const input = path.join(dir, 'in.env');
  fs.writeFileSync(input, env);
  await rejects(envelope.openFile(input, path.join(dir, 'out'), opts), cls, code);
  assert.deepEqual(fs.readdirSync(dir), ['in.env'], 'openFile left output behind');
}

test('a tampered envelope (every byte inverted in turn, at a few places) is refused', async (t) => {
  const good = await sealed();
  const { header } = parseHeader(good);
  // In the payload: the chunk fails authentication.
  for (const at of [header.length, header.length + 1000, good.length - 1]) {
    const bad = Buffer.from(good);
    bad[at] ^= 0xff;
    const e = await rejects(envelope.open(bad, OPEN), envelope.VerificationError, 'TAMPERED');
    assert.ok(e.detail.length > 0, 'no detail');
    assert.equal(e.message.includes(MSG.subarray(0, 20).toString()), false);
    await openFileFails(t, bad, envelope.VerificationError, 'TAMPERED');
  }
  // In the header's nonce: the payload key changes with it.
  const bad = Buffer.from(good);
  bad[20] ^= 0xff;
  await rejects(envelope.open(bad, OPEN), envelope.VerificationError, 'TAMPERED');
});

test('a forwarded envelope (re-encrypted by a recipient to another) is refused', async (t) => {
  const forwarded = forward(await sealed(), key('alice.pem'), key('bob.pub'));
  const opts = { decryptKeys: key('bob.pem'), verifyKeys: key('signer.pub') };
  await rejects(envelope.open(forwarded, opts), envelope.VerificationError, 'FORWARDED');
  await openFileFails(t, forwarded, envelope.VerificationError, 'FORWARDED', opts);
});

test('a message re-sealed by another signer is refused', async () => {
  const opened = await envelope.open(await sealed(), OPEN);
  const resealed = await envelope.seal(opened.message, {
    signKey: key('other-signer.pem'), recipients: key('alice.pub'),
  });
  await rejects(envelope.open(resealed, OPEN), envelope.VerificationError, 'UNTRUSTED_SIGNER');
});

test('not for this key, truncated', async (t) => {
  const good = await sealed();
  await rejects(envelope.open(good, { ...OPEN, decryptKeys: key('bob.pem') }),
                envelope.VerificationError, 'NOT_RECIPIENT');
  // Cut after the first of its two chunks: the final one is missing.
  const cut = good.subarray(0, parseHeader(good).header.length + 65536 + 16);
  assert.ok(cut.length < good.length, `the envelope has one chunk only (${good.length} bytes)`);
  await rejects(envelope.open(cut, OPEN), envelope.VerificationError, 'TRUNCATED');
  await openFileFails(t, cut, envelope.VerificationError, 'TRUNCATED');
});

test('what is not an envelope is a FormatError', async (t) => {
  await rejects(envelope.open(Buffer.from('plain text, not an envelope'), OPEN),
                envelope.FormatError, 'NOT_ENVELOPE');
  await rejects(envelope.inspect(Buffer.from('plain text, not an envelope')),
                envelope.FormatError, 'NOT_ENVELOPE');
  const bad = await sealed();
  bad[8] = 9; // version
  await rejects(envelope.open(bad, OPEN), envelope.FormatError, 'UNKNOWN_VERSION');
  await openFileFails(t, bad, envelope.FormatError, 'UNKNOWN_VERSION');
});

test('key errors: unreadable, wrong kind, public where private is needed', async () => {
  await rejects(Key.load('/nonexistent/key.pem'), envelope.KeyLoadError, 'KEY_LOAD');
  await rejects(Key.load(key('README.md')), envelope.KeyLoadError, 'KEY_LOAD');
  await rejects(envelope.seal(MSG, { signKey: key('signer.pem'), recipients: key('signer.pub') }),
                envelope.KeyUsageError, 'KEY_TYPE');
  await rejects(envelope.seal(MSG, { signKey: key('signer.pub'), recipients: key('alice.pub') }),
                envelope.KeyUsageError, 'KEY_NOT_PRIVATE');
  await rejects(envelope.open(await sealed(), { ...OPEN, decryptKeys: key('alice.pub') }),
                envelope.KeyUsageError, 'KEY_NOT_PRIVATE');
  await rejects(envelope.seal(MSG, { signKey: '/nonexistent/signer.pem', recipients: key('alice.pub') }),
                envelope.KeyLoadError, 'KEY_LOAD');
});

// The option setters take no context: their failures say which key, not
// what an earlier call on the same thread's context failed on.
test('a refused key is named in the detail', async () => {
  await rejects(Key.load('/nonexistent/earlier.pem'), envelope.KeyLoadError, 'KEY_LOAD');
  const signerPub = await Key.load(key('signer.pub'));
  let e = await rejects(envelope.seal(MSG, { signKey: key('signer.pem'),
                                             recipients: [key('alice.pub'), signerPub] }),
                        envelope.KeyUsageError, 'KEY_TYPE');
  assert.equal(e.detail, 'recipients[1], an ECDSA P-521 public key, refused');
  e = await rejects(envelope.seal(MSG, { signKey: signerPub, recipients: key('alice.pub') }),
                    envelope.KeyUsageError, 'KEY_NOT_PRIVATE');
  assert.equal(e.detail, 'signKey, an ECDSA P-521 public key, refused');
  e = await rejects(envelope.seal(MSG, { signKey: key('alice.pub'), recipients: key('alice.pub') }),
                    envelope.KeyUsageError, 'KEY_TYPE');
  assert.equal(e.detail, `signKey (${key('alice.pub')}), an RSA-2048 public key, refused`);
  e = await rejects(envelope.open(await sealed(), { ...OPEN, decryptKeys: [key('alice.pem'),
                                                                            key('bob.pub')] }),
                    envelope.KeyUsageError, 'KEY_NOT_PRIVATE');
  assert.equal(e.detail, `decryptKeys[1] (${key('bob.pub')}), an RSA-2048 public key, refused`);
  e = await rejects(envelope.open(await sealed(), { ...OPEN, maxSkew: 86401 }),
                    envelope.ArgumentError, 'INVALID_ARGUMENT');
  assert.equal(e.detail, 'maxSkew 86401: at most 86400 seconds');
});

test('arguments the library refuses are ArgumentErrors', async () => {
  const e = await rejects(envelope.seal(MSG, { signKey: key('signer.pem'),
                                               recipients: key('alice.pub'), name: '.hidden' }),
                          envelope.ArgumentError, 'BAD_NAME');
  assert.equal(e.detail, "a message name must not start with '.'");
  await rejects(envelope.seal(MSG, { signKey: key('signer.pem'), recipients: [] }),
                envelope.ArgumentError, 'TOO_MANY_RECIPIENTS');
});

test('a path that cannot be read is an EnvelopeIOError naming it', async (t) => {
  const dir = scratch(t);
  const e = await rejects(envelope.sealFile(path.join(dir, 'missing'), path.join(dir, 'out.env'), {
    signKey: key('signer.pem'), recipients: key('alice.pub'),
  }), envelope.EnvelopeIOError, 'IO');
  assert.match(e.detail, /missing: No such file or directory/);
  await rejects(envelope.inspect(path.join(dir, 'missing')), envelope.EnvelopeIOError, 'IO');
  assert.deepEqual(fs.readdirSync(dir), []);
});

test('wrong argument types reject with a TypeError, before anything runs', async () => {
  const s = { signKey: key('signer.pem'), recipients: key('alice.pub') };
  await assert.rejects(envelope.seal('a string', s), TypeError);
  await assert.rejects(envelope.seal(MSG), TypeError);
  await assert.rejects(envelope.seal(MSG, { recipients: key('alice.pub') }), TypeError);
  await assert.rejects(envelope.seal(MSG, { ...s, recipients: [42] }), TypeError);
  await assert.rejects(envelope.seal(MSG, { ...s, signKey: {} }), TypeError);
  await assert.rejects(envelope.seal(MSG, { ...s, name: 7 }), TypeError);
  await assert.rejects(envelope.seal(MSG, { ...s, hideRecipients: 'yes' }), TypeError);
  await assert.rejects(envelope.seal(MSG, { ...s, name: 'a\0b' }), TypeError);
  await assert.rejects(envelope.open(MSG, { verifyKeys: key('signer.pub') }), TypeError);
  await assert.rejects(envelope.inspect(42), TypeError);
  await assert.rejects(Key.load(''), TypeError);
  await assert.rejects(Key.load(key('signer.pem'), { passphrase: 42 }), TypeError);
  // A promise, not a throw: callers need only one error path.
  const p = envelope.seal('x');
  assert.ok(p instanceof Promise);
  await assert.rejects(p, TypeError);
});

// Every code of include/envelope.h, with the class README.md gives it.
test('every library code maps to the class the README documents', () => {
  const header = fs.readFileSync(path.join(REPO, 'include', 'envelope.h'), 'utf8');
  const codes = [...header.matchAll(/ENVELOPE_E_([A-Z_]+) = \d+/g)].map((m) => m[1]);
  assert.ok(codes.length >= 43, `only ${codes.length} codes found`);
  const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
  const documented = new Map();
  for (const m of readme.matchAll(/^\| `(\w+)` \| (.+) \|$/gm)) {
    for (const c of m[2].matchAll(/`([A-Z_]+)`/g)) documented.set(c[1], m[1]);
  }
  for (const code of codes) {
    const cls = errorClass(code);
    assert.equal(documented.get(code), cls.name, `README's class for ${code}`);
    const e = new cls(code, 'detail');
    assert.ok(e instanceof envelope.EnvelopeError && e instanceof Error);
    assert.equal(e.code, code);
    assert.equal(e.detail, 'detail');
    assert.equal(e.name, cls.name);
  }
  // A library without KMS support, asked to use an awskms:// key.
  assert.equal(errorClass('UNSUPPORTED', true), envelope.KMSError);
  assert.equal(errorClass('A_CODE_FROM_A_NEWER_LIBRARY'), envelope.EnvelopeError);
});

test('KMS details give kmsType and kmsMessage', () => {
  const e = new envelope.KMSError('KMS_NOT_FOUND',
                                  'Decrypt: NotFoundException: Alias arn:... is not found.');
  assert.equal(e.kmsType, 'NotFoundException');
  assert.equal(e.kmsMessage, 'Alias arn:... is not found.');
  const j = new envelope.KMSError('KMS', '{"__type":"com.amazonaws.kms#KMSInvalidStateException",' +
                                         '"message":"disabled"}');
  assert.deepEqual([j.kmsType, j.kmsMessage], ['KMSInvalidStateException', 'disabled']);
  assert.deepEqual([new envelope.KMSError('NETWORK', 'connect refused').kmsType], [null]);
});
