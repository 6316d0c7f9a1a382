// Type declarations for the envelope package (index.js). Every function
// returns a Promise; the work runs on the addon's own threads.

/** A Key object, a path (PEM or DER, "file:PATH") or an awskms:// reference. */
export type KeyLike = Key | string;
/** One key or several. */
export type KeyList = KeyLike | KeyLike[];

export interface KeyLoadOptions {
  /** For an encrypted private key. A Buffer can be wiped by the caller afterwards. */
  passphrase?: string | Uint8Array;
}

/** A signing (P-521) or encryption (RSA) key, local or in AWS KMS. Immutable. */
export class Key {
  private constructor();
  /** Loads a key from a path or an awskms:// reference (no network call for KMS). */
  static load(ref: string, options?: KeyLoadOptions): Promise<Key>;
  /** A key from memory, PEM or DER. */
  static fromPem(data: Uint8Array, options?: KeyLoadOptions): Promise<Key>;
  /** null for a KMS key not used yet. */
  readonly kind: 'signing' | 'encryption' | null;
  /** 521, the RSA modulus size, or 0 while a KMS key's kind is unknown. */
  readonly bits: number;
  /** A local private key, or any KMS key. */
  readonly isPrivate: boolean;
  /** The path or reference it was loaded from; null when loaded from memory. */
  readonly reference: string | null;
  readonly isKms: boolean;
  /** "sha256:" + 64 hex digits (KMS: may call GetPublicKey). */
  fingerprint(): Promise<string>;
  /** The public key as SPKI PEM (KMS: may call GetPublicKey). */
  publicPem(): Promise<string>;
  /** Releases the C key now (a private key is wiped once no running call uses it); then refused everywhere. */
  close(): void;
}

export interface SealOptions {
  signKey: KeyLike;
  /** 1 to 16 recipients; a file may hold several public keys. */
  recipients: KeyList;
  /** The message's name (docs/FORMAT.md); default "message" (sealFile: the input's base name). */
  name?: string;
  /** Leave the header's recipient labels empty. */
  hideRecipients?: boolean;
}

export interface SealFileOptions extends SealOptions {
  /** Replace an existing output. */
  force?: boolean;
}

export interface OpenOptions {
  /** 1 to 16 private RSA keys, all tried. */
  decryptKeys: KeyList;
  /** 1 to 64 trusted signers; public keys suffice. */
  verifyKeys: KeyList;
  /** The largest message accepted, in bytes; 0 or absent: no limit. */
  maxSize?: number | bigint;
  /** The oldest envelope accepted, in seconds; 0 or absent: any age. */
  maxAge?: number | bigint;
  /** How far ahead of this machine's clock the creation time may be, in seconds: 0 to 86400, default 300. */
  maxSkew?: number | bigint;
  /** Also open the compat format, which lacks recipient binding (docs/FORMAT.md). */
  allowCompat?: boolean;
}

export interface OpenFileOptions extends OpenOptions {
  /** Replace an existing output. */
  force?: boolean;
}

export interface Opened {
  /** The message (open); null when it was written to a file (openFile). */
  message: Buffer | null;
  name: string;
  size: number;
  /** 128 lowercase hex digits. */
  sha512: string;
  /** The trusted key that verified the signature: its fingerprint, or a KMS key ARN. */
  signer: string;
  /** What the sender claimed to be (a hint). */
  signerHint: string;
  /** As the signed manifest names them: each entry one recipient's identities. */
  recipients: string[];
  /** null for the compat format. */
  created: Date | null;
  format: 'v1' | 'compat';
  /** Where openFile wrote the message (openExtract: the directory); null for open. */
  path: string | null;
}

export interface Stanza {
  /** The recipient's fingerprint or KMS ARN; "" when hidden. */
  label: string;
  bits: number;
  hidden: boolean;
}

export interface EnvelopeInfo {
  version: number;
  suite: number;
  chunkSize: number;
  headerSize: number;
  /** 0 when the input is armored, or neither a regular file nor a Buffer. */
  payloadSize: number;
  recipients: Stanza[];
}

export function seal(message: Uint8Array, options: SealOptions): Promise<Buffer>;
export function open(envelope: Uint8Array, options: OpenOptions): Promise<Opened>;
export function sealFile(inPath: string, outPath: string, options: SealFileOptions): Promise<void>;
export function openFile(inPath: string, outPath: string, options: OpenFileOptions): Promise<Opened>;
/** Opens into a new directory: the message, manifest.json and manifest.sig. */
export function openExtract(inPath: string, dir: string, options: OpenOptions): Promise<Opened>;
/** The cleartext header of an envelope (a Buffer or a path); nothing is verified. */
export function inspect(envelope: Uint8Array | string): Promise<EnvelopeInfo>;

export class EnvelopeError extends Error {
  constructor(code: string, detail?: string, reason?: string);
  /** The library's stable name for the failure, e.g. "TAMPERED". */
  readonly code: string;
  /** What exactly failed; never key material. */
  readonly detail: string;
  /** The library's number for code, when the failure came from it; else null. */
  readonly rc: number | null;
}
export class VerificationError extends EnvelopeError {}
export class FormatError extends EnvelopeError {}
export class KeyLoadError extends EnvelopeError {}
export class KeyUsageError extends EnvelopeError {}
export class KMSError extends EnvelopeError {
  /** The service's error type, e.g. "NotFoundException", when the detail carries it. */
  readonly kmsType: string | null;
  readonly kmsMessage: string | null;
}
export class EnvelopeIOError extends EnvelopeError {}
export class ArgumentError extends EnvelopeError {}
export class CancelledError extends EnvelopeError {}
export class UnsupportedError extends EnvelopeError {}
export class InternalError extends EnvelopeError {}
export class OutOfMemoryError extends EnvelopeError {}

/** The version of the libenvelope the addon runs on. */
export const libraryVersion: string;
/** The number of threads of the addon's pool (ENVELOPE_NODE_THREADS, default 4). */
export const threads: number;
/** The addon file that was loaded. */
export const addonPath: string;
