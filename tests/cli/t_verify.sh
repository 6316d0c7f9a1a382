# verify DIR: an --extract directory re-checked offline with public keys.

run "$E" seal --sign-key "$K/signer.pem" --to "$K/alice.pub" --to "$K/bob.pub" \
    --created 2024-05-01T12:00:00Z -o v.enc note.json
run "$E" open --decrypt-key "$K/alice.pem" --verify-key "$K/signer.pub" --extract got v.enc
succeeded "open --extract DIR" ", into got$"
check "--extract: the message, manifest.json and manifest.sig, private" bash -c '
    [ "$(ls got | tr "\n" " ")" = "manifest.json manifest.sig note.json " ] &&
    [ "$(stat -c %a got)" = 700 ] && [ "$(stat -c %a got/note.json)" = 600 ] && cmp -s got/note.json note.json'
check "offline, plain openssl: manifest.sig verifies over manifest.json" bash -c '
    openssl dgst -sha512 -verify "$1/signer.pub" -signature got/manifest.sig got/manifest.json | grep -qx "Verified OK"' _ "$K"
check "offline, plain sha512sum: the manifest holds the message's SHA-512" \
    grep -q "\"sha512\":\"$(sha512sum note.json | cut -c1-128)\"" got/manifest.json

verify() { run "$E" verify --verify-key "$K/signer.pub" "$@"; }
verify got
check "verify: exit 0; signer, name, size, SHA-512, recipients, creation time" bash -c '[ '"$rc"' -eq 0 ] &&
    [ "$(cat "$1")" = "signer: $2
name: note.json
size: 18
sha512: $(sha512sum note.json | cut -c1-128)
recipients: 2
  $3
  $4
created: 2024-05-01T12:00:00Z" ]' _ "$OUT" "$SIGNER_FP" "$ALICE_FP" "$(fingerprint "$K/bob.pub")"
verify --recipient "$K/bob.pub" --recipient "$K/alice.pem" got
check "verify --recipient: both keys were recipients" [ "$rc" -eq 0 ]
verify --quiet --recipient "$K/alice.pub" got
check "verify --quiet: exit 0, nothing printed" bash -c '[ '"$rc"' -eq 0 ] && ! [ -s "$1" ] && ! [ -s "$2" ]' _ "$OUT" "$ERR"
verify --recipient "$K/carol.pub" got
failed "verify --recipient, a key that was not: exit 1" 1 \
    "^envelope: --recipient .*carol.pub: sha256:[0-9a-f]{64} is not among the manifest's recipients$"
run "$E" verify --verify-key "$K/other-signer.pub" got
failed "verify under another signer: exit 1" 1 \
    "^envelope: got/manifest.json: signature does not verify under any --verify-key \(signer unknown; 1 key tried\)$"
run "$E" verify got
failed "verify without --verify-key: exit 2" 2 "need at least one --verify-key"
verify nowhere
failed "verify a missing DIR: exit 4" 4 "^envelope: nowhere: No such file or directory$"
verify --recipient "$K/signer.pub" got
failed "verify --recipient a signing key: exit 3" 3 "--recipient .*signer.pub: an ECDSA P-521 signing key; --recipient takes an RSA key"

# Each alteration, on a fresh copy.
altered() { rm -rf alt && cp -a got alt; }
altered && printf 'x' >>alt/note.json
verify alt
failed "verify, a byte appended to the message: exit 1" 1 \
    "^envelope: alt/note.json: message does not match its manifest \(message longer than the manifest's 18 bytes\)$"
altered && flip alt/note.json 3
verify alt
failed "verify, a byte of the message changed: exit 1" 1 "^envelope: alt/note.json: message does not match its manifest \(message SHA-512 "
altered && sed -i 's/"size":18/"size":19/' alt/manifest.json
verify alt
failed "verify, the manifest altered: exit 1" 1 "^envelope: alt/manifest.json: signature does not verify under any --verify-key"
altered && flip alt/manifest.sig -3
verify alt
failed "verify, the signature altered: exit 1" 1 "^envelope: alt/manifest.json: signature does not verify under any --verify-key \(signer unknown; 1 key tried\)$"
altered && echo extra >alt/notes.txt
verify alt
failed "verify, an extra file in DIR: exit 1" 1 "^envelope: alt: holds 'notes.txt', which the manifest does not name"
altered && rm alt/note.json
verify alt
failed "verify, the message missing: exit 1" 1 "^envelope: alt/note.json: missing$"
altered && rm alt/manifest.sig
verify alt
failed "verify, manifest.sig missing: exit 1" 1 "^envelope: alt/manifest.sig: missing$"
altered && rm alt/note.json && ln -s ../note.json alt/note.json
verify alt
failed "verify, the message a symbolic link: exit 1" 1 "^envelope: alt/note.json: a symbolic link, not the file itself$"
rm -rf alt
run "$E" seal --format compat --sign-key "$K/signer.pem" --to "$K/dave.pub" -o vc.enc note.json
run "$E" open --allow-compat --decrypt-key "$K/dave.pem" --verify-key "$K/signer.pub" --extract vc vc.enc
check "--extract of a compat envelope: the message and message.sig" \
    bash -c '[ '"$rc"' -eq 0 ] && [ "$(ls vc | tr "\n" " ")" = "message.sig note.json " ]'
verify vc
failed "verify a compat directory: exit 1, points to openssl" 1 \
    "^envelope: vc: a compat envelope's directory, with no manifest: check message.sig with 'openssl dgst"
