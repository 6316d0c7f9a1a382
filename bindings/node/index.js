'use strict';
// libenvelope for Node.js: sign-then-encrypt envelopes (ECDSA P-521, RSA-OAEP-
// SHA-256) over the C library. Every function returns a Promise; the work
// runs on the addon's own pool of threads (README.md, "Threads").

const path = require('node:path');
const { addon, path: addonPath } = require('./lib/addon.js');
const errors = require('./lib/errors.js');

const KMS_PREFIX = 'awskms:';
const handles = new WeakMap(); // Key -> the addon's handle (owns one C reference)
const CONSTRUCT = Symbol('Key');

/** A signing (P-521) or encryption (RSA) key, local or in AWS KMS. Immutable. */
class Key {
  #reference;

  constructor(token, handle, reference) {
    if (token !== CONSTRUCT) throw new TypeError('use Key.load() or Key.fromPem()');
    handles.set(this, handle);
    this.#reference = reference;
    Object.freeze(this);
  }

  /**
   * Loads a key from a path (PEM or DER, "file:PATH") or an awskms://
   * reference. A KMS key loads without a network call.
   */
  static async load(ref, { passphrase } = {}) {
    if (typeof ref !== 'string' || ref === '') throw new TypeError('ref must be a non-empty string');
    return new Key(CONSTRUCT, await withPassphrase(passphrase, (p) => addon.keyLoad(ref, p),
                                                   isKmsRef(ref)), ref);
  }

  /** A key from memory: PEM or DER, private or public. */
  static async fromPem(data, { passphrase } = {}) {
    requireBytes(data, 'data');
    return new Key(CONSTRUCT, await withPassphrase(passphrase, (p) => addon.keyLoad(data, p),
                                                   false), null);
  }

  /** "signing", "encryption", or null for a KMS key not used yet. */
  get kind() { return addon.keyInfo(handleOf(this, 'key')).kind; }
  /** 521 for P-521, the RSA modulus size, or 0 while a KMS key's kind is unknown. */
  get bits() { return addon.keyInfo(handleOf(this, 'key')).bits; }
  /** A local private key, or any KMS key. */
  get isPrivate() { return addon.keyInfo(handleOf(this, 'key')).isPrivate; }
  /** The path or awskms:// reference it was loaded from; null from memory. */
  get reference() { return this.#reference; }
  /** Loaded from an awskms:// reference. */
  get isKms() { return isKmsRef(this.#reference); }

  /** "sha256:" + hex SHA-256 of the SubjectPublicKeyInfo (KMS: may call GetPublicKey). */
  fingerprint() { return call(() => addon.keyFingerprint(handleOf(this, 'key')), this.isKms); }
  /** The public key as SPKI PEM (KMS: may call GetPublicKey). */
  publicPem() { return call(() => addon.keyPublicPem(handleOf(this, 'key')), this.isKms); }

  /**
   * Releases the C key now rather than whenever the object is collected (a
   * private key is wiped once no running call uses it). The Key is then
   * refused everywhere. Idempotent.
   */
  close() {
    const handle = handles.get(this);
    if (handle === undefined) return;
    handles.delete(this);
    addon.keyClose(handle);
  }
}

// The addon's handle of a Key that has not been closed.
function handleOf(k, what) {
  const handle = handles.get(k);
  if (handle === undefined) throw new TypeError(`${what} is closed`);
  return handle;
}

function isKmsRef(ref) {
  return typeof ref === 'string' && ref.startsWith(KMS_PREFIX);
}

// The addon copies the passphrase before it returns; a copy made here from
// a string is wiped then (the string itself cannot be).
async function withPassphrase(passphrase, fn, kms) {
  let owned = null;
  if (passphrase === undefined || passphrase === null) return call(() => fn(undefined), kms);
  if (typeof passphrase === 'string') {
    owned = Buffer.from(passphrase, 'utf8');
    passphrase = owned;
  } else if (!(passphrase instanceof Uint8Array)) {
    throw new TypeError('passphrase must be a string, a Buffer or a Uint8Array');
  }
  let pending;
  try {
    pending = call(() => fn(passphrase), kms);
  } finally {
    if (owned) owned.fill(0);
  }
  return pending;
}

// Runs an addon call; its failures become EnvelopeError subclasses.
async function call(fn, kms) {
  try {
    return await fn();
  } catch (e) {
    throw errors.fromAddon(e, kms);
  }
}

function requireBytes(v, what) {
  if (!(v instanceof Uint8Array)) throw new TypeError(`${what} must be a Buffer or a Uint8Array`);
}

function requireOptions(opts) {
  if (opts === null || typeof opts !== 'object') throw new TypeError('options must be an object');
}

// One key or a list of them, each a Key, a path or an awskms:// reference:
// what the addon takes (a handle or a string).
function keyArg(k, what) {
  if (k instanceof Key) return handleOf(k, what);
  if (typeof k === 'string' && k !== '') return k;
  throw new TypeError(`${what} must be a Key, a path or an awskms:// reference`);
}

function keyList(v, what) {
  if (v === undefined || v === null) throw new TypeError(`${what} is required`);
  const list = Array.isArray(v) ? v : [v];
  return list.map((k) => keyArg(k, what));
}

function usesKms(...lists) {
  return lists.flat().some((k) => (k instanceof Key ? k.isKms : isKmsRef(k)));
}

function optBool(v, what) {
  if (v === undefined) return false;
  if (typeof v !== 'boolean') throw new TypeError(`${what} must be a boolean`);
  return v;
}

// A whole number of bytes or seconds; 0 or absent: no limit.
function optLimit(v, what) {
  if (v === undefined || v === null) return 0n;
  if (typeof v === 'bigint' && v >= 0n && v < 2n ** 64n) return v;
  if (Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  throw new RangeError(`${what} must be a whole number from 0 to 2^64-1`);
}

function sealOptions(opts, force) {
  requireOptions(opts);
  if (opts.signKey === undefined || opts.signKey === null) throw new TypeError('signKey is required');
  if (opts.name !== undefined && typeof opts.name !== 'string') {
    throw new TypeError('name must be a string');
  }
  return {
    signKey: keyArg(opts.signKey, 'signKey'),
    recipients: keyList(opts.recipients, 'recipients'),
    name: opts.name,
    hideRecipients: optBool(opts.hideRecipients, 'hideRecipients'),
    force: optBool(force, 'force'),
  };
}

function openOptions(opts, force) {
  requireOptions(opts);
  return {
    decryptKeys: keyList(opts.decryptKeys, 'decryptKeys'),
    verifyKeys: keyList(opts.verifyKeys, 'verifyKeys'),
    maxSize: optLimit(opts.maxSize, 'maxSize'),
    maxAge: optLimit(opts.maxAge, 'maxAge'),
    maxSkew: opts.maxSkew === undefined || opts.maxSkew === null ? undefined :
      optLimit(opts.maxSkew, 'maxSkew'),
    allowCompat: optBool(opts.allowCompat, 'allowCompat'),
    force: optBool(force, 'force'),
  };
}

function sealKms(opts) {
  return usesKms(opts.signKey, opts.recipients);
}

function openKms(opts) {
  return usesKms(opts.decryptKeys, opts.verifyKeys);
}

// What the addon returns, with created as a Date (null: compat format).
function opened(r, outPath) {
  return {
    message: r.message === undefined ? null : r.message,
    name: r.name,
    size: r.size,
    sha512: r.sha512,
    signer: r.signer,
    signerHint: r.signerHint,
    recipients: r.recipients,
    created: r.created ? new Date(r.created * 1000) : null,
    format: r.format,
    path: outPath === undefined ? null : outPath,
  };
}

/** Signs message with signKey and encrypts it to recipients; resolves to the envelope. */
async function seal(message, opts) {
  requireBytes(message, 'message');
  const o = sealOptions(opts, undefined);
  return call(() => addon.seal(message, o), sealKms(opts));
}

/** Decrypts and verifies envelope; resolves to the message and what verified it. */
async function open(envelope, opts) {
  requireBytes(envelope, 'envelope');
  const o = openOptions(opts, undefined);
  return opened(await call(() => addon.open(envelope, o), openKms(opts)));
}

function requirePath(p, what) {
  if (typeof p !== 'string' || p === '') throw new TypeError(`${what} must be a non-empty path`);
}

/**
 * Seals the file inPath into a new file outPath, which appears whole or not
 * at all. name defaults to inPath's base name.
 */
async function sealFile(inPath, outPath, opts) {
  requirePath(inPath, 'inPath');
  requirePath(outPath, 'outPath');
  requireOptions(opts);
  const name = opts.name === undefined ? path.basename(inPath) : opts.name;
  const o = sealOptions({ ...opts, name }, opts.force);
  await call(() => addon.sealFile(inPath, outPath, o), sealKms(opts));
}

/**
 * Opens the envelope file inPath into outPath, which appears only once every
 * check has passed; resolves to what verified it (message: null).
 */
async function openFile(inPath, outPath, opts) {
  requirePath(inPath, 'inPath');
  requirePath(outPath, 'outPath');
  const o = openOptions(opts, opts && opts.force);
  return opened(await call(() => addon.openFile(inPath, outPath, o), openKms(opts)), outPath);
}

/**
 * Opens the envelope file inPath into a new directory dir holding the
 * message under its signed name, manifest.json and manifest.sig (which the
 * CLI's verify or plain openssl can check again later); dir appears only
 * once every check has passed.
 */
async function openExtract(inPath, dir, opts) {
  requirePath(inPath, 'inPath');
  requirePath(dir, 'dir');
  const o = openOptions(opts, undefined);
  return opened(await call(() => addon.openExtract(inPath, dir, o), openKms(opts)), dir);
}

/** The cleartext header of an envelope (a Buffer or a path): nothing is verified. */
async function inspect(envelope) {
  if (typeof envelope !== 'string') requireBytes(envelope, 'envelope');
  else requirePath(envelope, 'envelope');
  const info = await call(() => addon.inspect(envelope), false);
  for (const r of info.recipients) r.hidden = r.label === '';
  return info;
}

module.exports = {
  seal,
  open,
  sealFile,
  openFile,
  openExtract,
  inspect,
  Key,
  EnvelopeError: errors.EnvelopeError,
  VerificationError: errors.VerificationError,
  FormatError: errors.FormatError,
  KeyLoadError: errors.KeyLoadError,
  KeyUsageError: errors.KeyUsageError,
  KMSError: errors.KMSError,
  EnvelopeIOError: errors.EnvelopeIOError,
  ArgumentError: errors.ArgumentError,
  CancelledError: errors.CancelledError,
  UnsupportedError: errors.UnsupportedError,
  InternalError: errors.InternalError,
  OutOfMemoryError: errors.OutOfMemoryError,
  libraryVersion: addon.libraryVersion,
  threads: addon.threads,
  addonPath,
};
