'use strict';
// Round trips with local keys: in memory and through files, keys as Key
// objects and as paths, and what open and inspect report.

const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const envelope = require('..');
const { key, scratch, rejects } = require('./helpers.js');

const { Key } = envelope;

// Seeded bytes: a failure reproduces with the same message.
function message(size, seed) {
  const out = Buffer.alloc(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

const sha512 = (b) => crypto.createHash('sha512').update(b).digest('hex');

test('keys load with their kind, size and fingerprint', async () => {
  const signer = await Key.load(key('signer.pem'));
  const signerPub = await Key.load(key('signer.pub'));
  const alicePub = await Key.load(key('alice.pub'));
  assert.equal(signer.kind, 'signing');
  assert.equal(signer.bits, 521);
  assert.equal(signer.isPrivate, true);
  assert.equal(signerPub.isPrivate, false);
  assert.equal(alicePub.kind, 'encryption');
  assert.equal(signer.reference, key('signer.pem'));
  assert.equal(signer.isKms, false);
  assert.equal(await signer.fingerprint(), await signerPub.fingerprint());
  assert.match(await alicePub.fingerprint(), /^sha256:[0-9a-f]{64}$/);
  const pem = await signer.publicPem();
  assert.equal(pem, fs.readFileSync(key('signer.pub'), 'utf8'));
  const fromPem = await Key.fromPem(Buffer.from(pem));
  assert.equal(fromPem.reference, null);
  assert.equal(await fromPem.fingerprint(), await signer.fingerprint());
  assert.throws(() => new Key(), TypeError);
});

test('a passphrase-protected key loads with its passphrase, as a string or a Buffer', async () => {
  const pass = fs.readFileSync(key('passphrase.txt'), 'utf8').trim();
  const a = await Key.load(key('alice-encrypted.pem'), { passphrase: pass });
  const b = await Key.load(key('alice-encrypted.pem'), { passphrase: Buffer.from(pass) });
  assert.equal(await a.fingerprint(), await b.fingerprint());
  assert.equal(a.isPrivate, true);
  await rejects(Key.load(key('alice-encrypted.pem'), { passphrase: 'wrong' }),
                envelope.KeyLoadError, 'KEY_PASSPHRASE');
  await rejects(Key.load(key('alice-encrypted.pem')), envelope.KeyLoadError, 'KEY_PASSPHRASE');
});

test('seal and open in memory, with Key objects and with paths', async () => {
  const msg = message(300 * 1024 + 17, 300);
  const signer = await Key.load(key('signer.pem'));
  const sealed = await envelope.seal(msg, {
    signKey: signer, recipients: [await Key.load(key('alice.pub')), key('bob.pub')],
    name: 'report.csv',
  });
  assert.ok(Buffer.isBuffer(sealed));
  for (const decrypt of [key('alice.pem'), await Key.load(key('bob.pem'))]) {
    const r = await envelope.open(sealed, { decryptKeys: [decrypt], verifyKeys: key('signer.pub') });
    assert.ok(r.message.equals(msg), 'the message differs');
    assert.equal(r.name, 'report.csv');
    assert.equal(r.size, msg.length);
    assert.equal(r.sha512, sha512(msg));
    assert.equal(r.signer, await signer.fingerprint());
    assert.equal(r.recipients.length, 2);
    assert.equal(r.format, 'v1');
    assert.ok(r.created instanceof Date);
    assert.ok(Math.abs(r.created.getTime() - Date.now()) < 24 * 3600 * 1000,
              `created ${r.created.toISOString()}`);
    assert.equal(r.path, null);
  }
});

test('an empty message, the default name, and a Uint8Array', async () => {
  const sealed = await envelope.seal(new Uint8Array(0), {
    signKey: key('signer.pem'), recipients: key('alice.pub'),
  });
  const r = await envelope.open(new Uint8Array(sealed), {
    decryptKeys: key('alice.pem'), verifyKeys: [key('signer.pub')],
  });
  assert.equal(r.message.length, 0);
  assert.equal(r.name, 'message');
  // A view into the middle of a larger buffer: only its own bytes count.
  const msg = Buffer.from('in the middle');
  const outer = Buffer.concat([Buffer.alloc(100, 1), msg, Buffer.alloc(100, 2)]);
  const view = new Uint8Array(outer.buffer, outer.byteOffset + 100, msg.length);
  const sealedView = await envelope.seal(view, { signKey: key('signer.pem'), recipients: key('alice.pub') });
  const framed = Buffer.concat([Buffer.alloc(33, 9), sealedView, Buffer.alloc(7)]);
  const opened = await envelope.open(framed.subarray(33, 33 + sealedView.length), {
    decryptKeys: key('alice.pem'), verifyKeys: key('signer.pub'),
  });
  assert.ok(opened.message.equals(msg), `opened ${opened.message}`);
});

test('inspect shows the header of a Buffer and of a file; hidden recipients show no label',
     async (t) => {
  const dir = scratch(t);
  const msg = message(70000, 7);
  const shown = await envelope.seal(msg, { signKey: key('signer.pem'), recipients: key('alice.pub') });
  const info = await envelope.inspect(shown);
  assert.equal(info.version, 1);
  assert.equal(info.chunkSize, 65536);
  assert.equal(info.headerSize + info.payloadSize, shown.length);
  assert.deepEqual(info.recipients, [{
    label: await (await Key.load(key('alice.pub'))).fingerprint(), bits: 2048, hidden: false,
  }]);
  const file = path.join(dir, 'shown.env');
  fs.writeFileSync(file, shown);
  assert.deepEqual(await envelope.inspect(file), info);

  const hidden = await envelope.seal(msg, {
    signKey: key('signer.pem'), recipients: [key('alice.pub'), key('bob.pub')],
    hideRecipients: true,
  });
  const h = await envelope.inspect(hidden);
  assert.deepEqual(h.recipients.map((r) => [r.label, r.hidden]), [['', true], ['', true]]);
  const r = await envelope.open(hidden, { decryptKeys: key('bob.pem'), verifyKeys: key('signer.pub') });
  assert.ok(r.message.equals(msg));
});

test('sealFile and openFile: the name defaults to the base name; outputs are not replaced',
     async (t) => {
  const dir = scratch(t);
  const src = path.join(dir, 'data.bin');
  const env = path.join(dir, 'data.env');
  const out = path.join(dir, 'data.out');
  const msg = message(200000, 11);
  fs.writeFileSync(src, msg);
  assert.equal(await envelope.sealFile(src, env, {
    signKey: key('signer.pem'), recipients: [key('alice.pub')],
  }), undefined);
  const r = await envelope.openFile(env, out, {
    decryptKeys: key('alice.pem'), verifyKeys: key('signer.pub'),
  });
  assert.ok(fs.readFileSync(out).equals(msg));
  assert.equal(r.name, 'data.bin');
  assert.equal(r.message, null);
  assert.equal(r.path, out);
  assert.equal(r.sha512, sha512(msg));

  // An existing output is kept, unless force.
  fs.writeFileSync(out, 'keep me');
  await rejects(envelope.openFile(env, out, {
    decryptKeys: key('alice.pem'), verifyKeys: key('signer.pub'),
  }), envelope.EnvelopeIOError, 'OUTPUT_EXISTS');
  assert.equal(fs.readFileSync(out, 'utf8'), 'keep me');
  const before = fs.readFileSync(env);
  await rejects(envelope.sealFile(src, env, {
    signKey: key('signer.pem'), recipients: [key('alice.pub')],
  }), envelope.EnvelopeIOError, 'OUTPUT_EXISTS');
  assert.ok(fs.readFileSync(env).equals(before), 'the existing envelope changed');
  await envelope.openFile(env, out, {
    decryptKeys: key('alice.pem'), verifyKeys: key('signer.pub'), force: true,
  });
  assert.ok(fs.readFileSync(out).equals(msg));
  await envelope.sealFile(src, env, {
    signKey: key('signer.pem'), recipients: [key('bob.pub')], name: 'other.bin', force: true,
  });
  const again = await envelope.open(fs.readFileSync(env), {
    decryptKeys: key('bob.pem'), verifyKeys: key('signer.pub'),
  });
  assert.equal(again.name, 'other.bin');
  // A name passed along as undefined is a name not given.
  await envelope.sealFile(src, env, {
    signKey: key('signer.pem'), recipients: [key('bob.pub')], name: undefined, force: true,
  });
  const unnamed = await envelope.open(fs.readFileSync(env), {
    decryptKeys: key('bob.pem'), verifyKeys: key('signer.pub'),
  });
  assert.equal(unnamed.name, 'data.bin');
});

test('a file of several public keys stands for all of them', async (t) => {
  const team = path.join(scratch(t), 'team.pub');
  fs.writeFileSync(team, Buffer.concat([fs.readFileSync(key('alice.pub')),
                                        fs.readFileSync(key('bob.pub'))]));
  const signers = path.join(path.dirname(team), 'signers.pub');
  fs.writeFileSync(signers, Buffer.concat([fs.readFileSync(key('other-signer.pub')),
                                           fs.readFileSync(key('signer.pub'))]));
  const sealed = await envelope.seal(Buffer.from('to the team'), {
    signKey: key('signer.pem'), recipients: team,
  });
  assert.equal((await envelope.inspect(sealed)).recipients.length, 2);
  for (const who of ['alice.pem', 'bob.pem']) {
    const r = await envelope.open(sealed, { decryptKeys: key(who), verifyKeys: signers });
    assert.equal(r.message.toString(), 'to the team', who);
  }
  // Several keys where one is needed is refused.
  await rejects(envelope.seal(Buffer.from('x'), { signKey: signers, recipients: team }),
                envelope.KeyLoadError, 'KEY_LOAD');
});

test('maxSize and maxAge are enforced', async () => {
  const msg = message(5000, 3);
  const sealed = await envelope.seal(msg, { signKey: key('signer.pem'), recipients: key('alice.pub') });
  const opts = { decryptKeys: key('alice.pem'), verifyKeys: key('signer.pub') };
  await rejects(envelope.open(sealed, { ...opts, maxSize: 4999 }),
                envelope.VerificationError, 'TOO_LARGE');
  assert.equal((await envelope.open(sealed, { ...opts, maxSize: 5000n })).size, 5000);
  assert.equal((await envelope.open(sealed, { ...opts, maxAge: 3600 })).size, 5000);
  await assert.rejects(envelope.open(sealed, { ...opts, maxSize: -1 }), RangeError);
  await assert.rejects(envelope.open(sealed, { ...opts, maxAge: 1.5 }), RangeError);
});

test('close releases a Key at once: a running call finishes, later uses are refused',
     async () => {
  const signer = await Key.load(key('signer.pem'));
  const msg = message(1 << 20, 13);
  const pending = envelope.seal(msg, { signKey: signer, recipients: key('alice.pub') });
  signer.close();
  signer.close(); // idempotent
  const r = await envelope.open(await pending, {
    decryptKeys: key('alice.pem'), verifyKeys: key('signer.pub'),
  });
  assert.ok(r.message.equals(msg), 'the call running when the key was closed sealed other bytes');
  assert.throws(() => signer.kind, { name: 'TypeError', message: 'key is closed' });
  await assert.rejects(signer.fingerprint(), { name: 'TypeError', message: 'key is closed' });
  await assert.rejects(envelope.seal(msg, { signKey: signer, recipients: key('alice.pub') }),
                       { name: 'TypeError', message: 'signKey is closed' });
  await assert.rejects(envelope.open(await envelope.seal(msg, {
    signKey: key('signer.pem'), recipients: key('alice.pub'),
  }), { decryptKeys: key('alice.pem'), verifyKeys: [key('signer.pub'), signer] }),
                       { name: 'TypeError', message: 'verifyKeys is closed' });
  assert.equal(signer.reference, key('signer.pem'));
});
