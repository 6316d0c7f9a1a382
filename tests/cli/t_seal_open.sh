# seal and open: files and streams, recipients and signers, refusals.

SIGNER_FP=$(fingerprint "$K/signer.pub")
ALICE_FP=$(fingerprint "$K/alice.pub")
printf '{"hello":"world"}\n' >note.json
seal() { run "$E" seal --sign-key "$K/signer.pem" "$@"; }

seal --to "$K/alice.pub" -o note.enc note.json
succeeded "seal a file to one recipient"
check "seal -o: the envelope is 0644" [ "$(mode note.enc)" = 644 ]
run "$E" inspect note.enc
check "inspect needs no key and shows the header" bash -c '[ '"$rc"' -eq 0 ] &&
    grep -qx "format: libenvelope v1" "$1" && grep -qx "chunk size: 65536" "$1" &&
    grep -qx "recipients: 1" "$1" && grep -qx "  1: RSA-2048 $3" "$1" &&
    grep -qx "payload size: $(( $(stat -c %s note.enc) - $(sed -n "s/^header size: //p" "$1") ))" "$1"' \
    _ "$OUT" "$ALICE_FP" "$(fingerprint_shown "$K/alice.pub")"
run "$E" inspect "$TOP/tests/vectors/ok-label-two-ids.env"
check "inspect: a fingerprint and ARN label shows the short form after the fingerprint" \
    bash -c '[ '"$rc"' -eq 0 ] && grep -qx "  1: RSA-2048 sha256:a1f8a346d3292f918ae0985f8b23a16726b3e1a538af86a91f1b86738e676a28 (a1f8-a346-d329-2f91) arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab" "$1"' _ "$OUT"
run "$E" inspect "$TOP/tests/vectors/ok-arn-label.env"
check "inspect: an ARN alone has no short form" \
    bash -c '[ '"$rc"' -eq 0 ] && grep -qx "  2: RSA-2048 arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab" "$1" &&
    grep -qx "  1: RSA-2048 sha256:7291924b7f79febef36f4185d3eca5f91823b731cab1cbf4b08144014ecc404d (7291-924b-7f79-febe)" "$1"' _ "$OUT"
run "$E" inspect - <note.enc
check "inspect reads stdin" bash -c '[ '"$rc"' -eq 0 ] && grep -qx "recipients: 1" "$1"' _ "$OUT"
run "$E" inspect note.json
failed "inspect of a non-envelope: exit 1" 1 "^envelope: note.json: not an envelope"
run "$E" inspect missing.enc
failed "inspect of a missing file: exit 4" 4 "^envelope: missing.enc: No such file or directory$"
# A label is all of its label_len bytes: what follows a NUL is not hidden.
cp "$TOP/tests/vectors/bad-label-nul.env" label-nul.enc
run "$E" inspect label-nul.enc
failed "inspect of a label with a NUL: exit 1, no header shown" 1 \
    "^envelope: label-nul.enc: malformed envelope header \(stanza 1: label is not a list of identities\)$"

run "$E" open --decrypt-key "$K/alice.pem" --verify-key "$K/signer.pub" -o note.out note.enc
succeeded "open -o: exit 0, names message, size, signer and date" \
    "^envelope: verified \"note.json\" \(18 bytes\), signed by $SIGNER_FP on [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z, into note.out$"
check "open -o: the message, mode 0600" bash -c 'cmp -s note.out note.json && [ "$(stat -c %a note.out)" = 600 ]'
run "$E" open --decrypt-key "$K/alice.pem" --verify-key "$K/signer.pub" note.enc
check "open to stdout" bash -c '[ '"$rc"' -eq 0 ] && cmp -s "$1" note.json' _ "$OUT"
run "$E" open --decrypt-key "$K/alice.pem" --verify-key "$K/signer.pub" -o note.out note.enc
failed "open -o over an existing file: exit 4" 4 "^envelope: note.out: already exists; --force replaces it$"
echo changed >note.out
run "$E" open --decrypt-key "$K/alice.pem" --verify-key "$K/signer.pub" -o note.out --force note.enc
check "open --force replaces it" bash -c '[ '"$rc"' -eq 0 ] && cmp -s note.out note.json'
cp note.enc note.enc.orig
seal --to "$K/alice.pub" -o note.enc note.json
failed "seal -o over an existing file: exit 4" 4 "^envelope: note.enc: already exists; --force replaces it$"
check "seal refused: the envelope is untouched" same note.enc note.enc.orig
seal --to "$K/alice.pub" -o note.enc --force note.json
check "seal --force replaces it" bash -c '[ '"$rc"' -eq 0 ] && ! cmp -s note.enc note.enc.orig'

# Streams: stdin to stdout both ways, "-" for stdin.
run bash -c 'cat note.json | "$1" seal --sign-key "$2/signer.pem" --to "$2/bob.pub" | cat >piped.enc' _ "$E" "$K"
check "seal from a pipe to a pipe" bash -c '[ '"$rc"' -eq 0 ] && [ -s piped.enc ]'
run "$E" open --decrypt-key "$K/bob.pem" --verify-key "$K/signer.pub" - <piped.enc
check "open - from stdin: the message, named 'message'" bash -c '[ '"$rc"' -eq 0 ] &&
    cmp -s "$1" note.json && grep -q "verified \"message\" (18 bytes)" "$2"' _ "$OUT" "$ERR"

# Names.
seal --to "$K/alice.pub" --name "report 2024.json" -o named.enc note.json
run "$E" open --decrypt-key "$K/alice.pem" --verify-key "$K/signer.pub" --extract named named.enc
check "seal --name: the message keeps that name" \
    bash -c '[ '"$rc"' -eq 0 ] && cmp -s "named/report 2024.json" note.json'
seal --to "$K/alice.pub" --name manifest.json -o bad.enc note.json
failed "seal --name manifest.json: exit 2 naming the rule" 2 \
    "^envelope seal: --name 'manifest.json': a message name must not start with 'manifest.' " bad.enc
cp note.json .hidden
seal --to "$K/alice.pub" -o bad.enc .hidden
failed "seal of a dot file without --name: exit 2 with a hint" 2 \
    "^envelope seal: '.hidden': a message name must not start with '.': give another with --name" bad.enc
seal --to "$K/alice.pub" -o bad.enc missing.json
failed "seal of a missing input: exit 4" 4 "^envelope: missing.json: No such file or directory$" bad.enc
seal --to "$K/alice.pub" -o bad.enc "$K"
failed "seal of a directory: exit 4" 4 "is a directory$" bad.enc
seal -o bad.enc note.json
failed "seal without --to: exit 2" 2 "need --sign-key and at least one --to" bad.enc

# Recipients and signers.
seal --to "$K/alice.pub" --to "$K/bob.pub" --to "$K/carol.pub" -o three.enc note.json
run "$E" inspect three.enc
check "three recipients: 2048, 2048 and 3072 bits in the header" bash -c '[ '"$rc"' -eq 0 ] &&
    grep -qx "recipients: 3" "$1" && grep -q "  3: RSA-3072 sha256:" "$1"' _ "$OUT"
for who in bob carol; do
    run "$E" open --decrypt-key "$K/$who.pem" --verify-key "$K/signer.pub" three.enc
    check "three recipients: $who opens it" bash -c '[ '"$rc"' -eq 0 ] && cmp -s "$1" note.json' _ "$OUT"
done
run "$E" open --decrypt-key "$K/dave.pem" --verify-key "$K/signer.pub" -o three.out three.enc
failed "open with a key it is not for: exit 1" 1 \
    "^envelope: three.enc: envelope not addressed to the --decrypt-key \(no recipient stanza opens with key sha256:" three.out
run "$E" open --decrypt-key "$K/alice.pem" --verify-key "$K/other-signer.pub" -o note.out2 note.enc
failed "open with an untrusted signer: exit 1, the signer unknown" 1 \
    "^envelope: note.enc: signature does not verify under any --verify-key \(signer unknown; 1 key tried\)$" note.out2
run "$E" open --decrypt-key "$K/alice.pem" --verify-key "$K/other-signer.pub" --verify-key "$K/signer.pub" note.enc
check "open with two --verify-key, one of them the signer" bash -c '[ '"$rc"' -eq 0 ] && cmp -s "$1" note.json' _ "$OUT"
seal --to "$K/alice.pub" --hide-recipients -o hidden.enc note.json
run "$E" inspect hidden.enc
check "--hide-recipients: the header names no key" bash -c '[ '"$rc"' -eq 0 ] &&
    grep -qx "  1: RSA-2048 hidden" "$1" && ! grep -q sha256: "$1"' _ "$OUT"
run "$E" open --decrypt-key "$K/alice.pem" --verify-key "$K/signer.pub" hidden.enc
check "--hide-recipients: still opens" bash -c '[ '"$rc"' -eq 0 ] && cmp -s "$1" note.json' _ "$OUT"

# Several --decrypt-key: all are tried, the recipient among them opens,
# wherever it stands.
for env in note.enc hidden.enc; do
    for keys in "dave alice" "alice dave"; do
        read -r first second <<<"$keys"
        run "$E" open --decrypt-key "$K/$first.pem" --decrypt-key "$K/$second.pem" \
            --verify-key "$K/signer.pub" "$env"
        check "--decrypt-key $first --decrypt-key $second: $env opens" \
            bash -c '[ '"$rc"' -eq 0 ] && cmp -s "$1" note.json' _ "$OUT"
    done
done
# A KMS key nobody can reach, before or after a local key: the local key is
# tried first and opens, with no KMS call.
KMS_ENV=(env AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=AKIAEXAMPLE AWS_SECRET_ACCESS_KEY=none)
UNREACHABLE=awskms://127.0.0.1:1/alias/unreachable
run "${KMS_ENV[@]}" "$E" open --decrypt-key "$UNREACHABLE" --decrypt-key "$K/alice.pem" \
    --verify-key "$K/signer.pub" hidden.enc
check "--decrypt-key KMS --decrypt-key local: the local key opens, no KMS call" \
    bash -c '[ '"$rc"' -eq 0 ] && cmp -s "$1" note.json' _ "$OUT"
run "${KMS_ENV[@]}" "$E" open --decrypt-key "$K/alice.pem" --decrypt-key "$UNREACHABLE" \
    --verify-key "$K/signer.pub" hidden.enc
check "--decrypt-key local --decrypt-key KMS: the local key opens, no KMS call" \
    bash -c '[ '"$rc"' -eq 0 ] && cmp -s "$1" note.json' _ "$OUT"
run "${KMS_ENV[@]}" "$E" open --decrypt-key "$UNREACHABLE" --verify-key "$K/signer.pub" \
    -o kms.out hidden.enc
failed "the unreachable KMS key alone: exit 3, so the checks above made no KMS call" 3 \
    "^envelope: hidden.enc: .*127.0.0.1:1: cannot connect" kms.out
run "$E" open --decrypt-key "$K/dave.pem" --decrypt-key "$K/bob.pem" \
    --verify-key "$K/signer.pub" -o none.out hidden.enc
failed "two --decrypt-key, neither the recipient: exit 1, nothing written" 1 \
    "^envelope: hidden.enc: envelope not addressed to the --decrypt-key \(no recipient stanza opens with any of the 2 decryption keys\)$" \
    none.out
many=()
for i in $(seq 17); do many+=(--decrypt-key "$K/alice.pem"); done
run "$E" open "${many[@]}" --verify-key "$K/signer.pub" -o many.out note.enc
failed "17 --decrypt-key: exit 2" 2 "^envelope open: at most 16 --decrypt-key" many.out

# Keys in the wrong place.
seal --to "$K/signer.pub" -o bad.enc note.json
failed "--to a signing key: exit 3" 3 "^envelope: --to .*signer.pub: an ECDSA P-521 signing key; --to takes an RSA key" bad.enc
run "$E" seal --sign-key "$K/alice.pem" --to "$K/alice.pub" -o bad.enc note.json
failed "--sign-key an RSA key: exit 3" 3 "^envelope: --sign-key .*alice.pem: an RSA-2048 encryption key; --sign-key takes an ECDSA P-521 key$" bad.enc
run "$E" seal --sign-key "$K/signer.pub" --to "$K/alice.pub" -o bad.enc note.json
failed "--sign-key a public key: exit 3" 3 "--sign-key .*signer.pub: a public key; --sign-key needs the private key" bad.enc
run "$E" seal --sign-key "$K/p256.pem" --to "$K/alice.pub" -o bad.enc note.json
failed "--sign-key a P-256 key: exit 3" 3 "^envelope: --sign-key .*p256.pem: key is of the wrong type or size for this use \(EC key is not on P-521" bad.enc
run "$E" open --decrypt-key "$K/alice.pub" --verify-key "$K/signer.pub" -o bad.out note.enc
failed "--decrypt-key a public key: exit 3" 3 "--decrypt-key .*alice.pub: a public key; --decrypt-key needs the private key" bad.out
run "$E" open --decrypt-key "$K/alice.pem" --verify-key "$K/alice.pub" -o bad.out note.enc
failed "--verify-key an RSA key: exit 3" 3 "--verify-key .*alice.pub: an RSA-2048 encryption key; --verify-key takes an ECDSA P-521 key" bad.out
run "$E" open --decrypt-key "$K/ed25519.pem" --verify-key "$K/signer.pub" -o bad.out note.enc
failed "--decrypt-key an Ed25519 key: exit 3" 3 "ED25519 key: need ECDSA P-521 or RSA" bad.out
run "$E" open --decrypt-key nothing.pem --verify-key "$K/signer.pub" -o bad.out note.enc
failed "--decrypt-key missing: exit 3" 3 "^envelope: --decrypt-key nothing.pem: cannot load key \(No such file or directory\)$" bad.out
run "$E" open --decrypt-key "$K/alice.pem" -o bad.out note.enc
failed "open without --verify-key: exit 2" 2 "need --decrypt-key and at least one --verify-key" bad.out
run "$E" open --decrypt-key "$K/alice.pem" --verify-key "$K/signer.pub" -o bad.out --extract bad.dir note.enc
failed "open -o with --extract: exit 2" 2 "-o and --extract exclude each other" bad.out bad.dir

# Encrypted private keys when opening.
run "$E" open --decrypt-key "$K/alice-encrypted.pem" --passphrase-file "$K/passphrase.txt" \
    --verify-key "$K/signer.pub" note.enc
check "open with an encrypted key and --passphrase-file" bash -c '[ '"$rc"' -eq 0 ] && cmp -s "$1" note.json' _ "$OUT"
run "$E" open --decrypt-key "$K/alice-encrypted.pem" --passphrase-fd 3 \
    --verify-key "$K/signer.pub" note.enc 3<"$K/passphrase.txt"
check "open with an encrypted key and --passphrase-fd" bash -c '[ '"$rc"' -eq 0 ] && cmp -s "$1" note.json' _ "$OUT"
run "$E" open --decrypt-key "$K/alice-encrypted.pem" --passphrase-file pass.txt \
    --verify-key "$K/signer.pub" -o bad.out note.enc
failed "open with a wrong passphrase: exit 3" 3 \
    "^envelope: --decrypt-key .*alice-encrypted.pem: wrong passphrase for .*alice-encrypted.pem$" bad.out
notty "$E" open --decrypt-key "$K/alice-encrypted.pem" --verify-key "$K/signer.pub" -o bad.out note.enc
failed "open with an encrypted key, no passphrase, no terminal: exit 3" 3 \
    "alice-encrypted.pem: the key is encrypted and there is no terminal to ask on" bad.out

# Damaged envelopes: exit 1, nothing written, nothing left beside it.
cp note.enc flipped.enc && flip flipped.enc -20
run "$E" open --decrypt-key "$K/alice.pem" --verify-key "$K/signer.pub" -o bad.out flipped.enc
failed "open a tampered envelope: exit 1, no output" 1 "^envelope: flipped.enc: envelope tampered with" bad.out
check "open a tampered envelope: no temporary file left" [ "$(ls -A | grep -c '^bad\.out')" -eq 0 ]
head -c 100 note.enc >short.enc
run "$E" open --decrypt-key "$K/alice.pem" --verify-key "$K/signer.pub" -o bad.out short.enc
failed "open a truncated envelope: exit 1" 1 "^envelope: short.enc: envelope truncated" bad.out
run "$E" open --decrypt-key "$K/alice.pem" --verify-key "$K/signer.pub" -o bad.out note.json
failed "open a file that is no envelope: exit 1" 1 "^envelope: note.json: not an envelope" bad.out
run "$E" open --decrypt-key "$K/alice.pem" --verify-key "$K/signer.pub" note.json
failed "open to stdout a file that is no envelope: exit 1, stdout empty" 1 "not an envelope"
before=$(entries .)
cp note.enc ext.enc && flip ext.enc -20
run "$E" open --decrypt-key "$K/alice.pem" --verify-key "$K/signer.pub" --extract ext.dir ext.enc
failed "--extract of a tampered envelope: exit 1, no DIR" 1 "^envelope: ext.enc: envelope tampered with" ext.dir
check "--extract of a tampered envelope: no temporary directory beside it" \
    [ "$(entries .)" -eq $((before + 1)) ]
mkdir ext.dir
run "$E" open --decrypt-key "$K/alice.pem" --verify-key "$K/signer.pub" --extract ext.dir note.enc
failed "--extract into an existing directory: exit 4" 4 "^envelope: ext.dir: already exists; --extract makes a new directory$"
check "--extract into an existing directory: left empty" [ "$(entries ext.dir)" -eq 0 ]
run "$E" open --decrypt-key "$K/alice.pem" --verify-key "$K/signer.pub" -o nodir/note.out note.enc
failed "open -o into a missing directory: exit 4, names the output" 4 \
    "^envelope: nodir/note.out: input/output error \(No such file or directory\)$" nodir
run "$E" seal --sign-key "$K/signer.pem" --to "$K/alice.pub" -o nodir/note.enc note.json
failed "seal -o into a missing directory: exit 4, names the output" 4 \
    "^envelope: nodir/note.enc: input/output error \(No such file or directory\)$" nodir
