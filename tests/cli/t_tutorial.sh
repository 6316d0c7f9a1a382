# The tutorial's session, sender and receiver, with the tutorial's message:
# with local keys; in the compat format against the tutorial's own openssl
# and tar commands; and with KMS keys when this build has them.

MSG=$TOP/tests/kms-server/message.json
# The tutorial's message.json, byte for byte: what make demo seals and the
# KMS suites send, so that docs/COMPAT.md's sizes are this message's.
printf '{ \n    "message": "The Magic Words are Squeamish Ossifrage", \n    "sender": "Sender Principal" \n}\n' \
    >"$W/tutorial-message.json"
for f in tests/demo/message.json tests/kms-server/message.json; do
    check "$f: the tutorial's message.json, its 98 bytes" bash -c 'cmp -s "$1" "$2" &&
        [ "$(wc -c <"$1")" -eq 98 ] || { echo "     $(wc -c <"$1") bytes: $(cmp "$1" "$2" 2>&1)"; false; }' \
        _ "$TOP/$f" "$W/tutorial-message.json"
done
[ -f "$MSG" ] || MSG=$W/tutorial-message.json
mkdir sender receiver offline
cp "$MSG" sender/message.json

# Each party makes its key and hands over the public half.
run_in sender "$E" keygen --sign -o sign.pem --pub sign.pub
check "sender: keygen --sign" [ "$rc" -eq 0 ]
run_in receiver "$E" keygen --encrypt --bits 4096 -o decrypt.pem --pub encrypt.pub
check "receiver: keygen --encrypt (RSA-4096, the tutorial's key spec)" [ "$rc" -eq 0 ]
cp sender/sign.pub receiver/sender.pub && cp sender/sign.pub offline/sender.pub
cp receiver/encrypt.pub sender/receiver.pub

run_in sender "$E" seal --sign-key sign.pem --to receiver.pub -o message.enc message.json
check "sender: seal message.json to the receiver" [ "$rc" -eq 0 ]
cp sender/message.enc receiver/
run_in receiver "$E" open --decrypt-key decrypt.pem --verify-key sender.pub --extract received message.enc
check "receiver: open --extract; the message as sent" bash -c '[ '"$rc"' -eq 0 ] &&
    cmp -s receiver/received/message.json "$1"' _ "$MSG"
cp -a receiver/received offline/
run_in offline "$E" verify --verify-key sender.pub --recipient ../receiver/encrypt.pub received
check "offline: envelope verify with public keys only" bash -c '[ '"$rc"' -eq 0 ] &&
    grep -qx "name: message.json" "$1"' _ "$OUT"
run_in offline/received openssl dgst -sha512 -verify ../sender.pub -signature manifest.sig manifest.json
check "offline: openssl dgst -sha512 -verify says Verified OK" bash -c '[ '"$rc"' -eq 0 ] && grep -qx "Verified OK" "$1"' _ "$OUT"
check "offline: sha512sum matches the signed manifest" \
    grep -q "\"sha512\":\"$(sha512sum offline/received/message.json | cut -c1-128)\"" offline/received/manifest.json

# compat: our message.enc opens with the tutorial's receiver commands...
run_in sender "$E" seal --format compat --sign-key sign.pem --to receiver.pub -o compat.enc message.json
check "sender: seal --format compat" [ "$rc" -eq 0 ]
mkdir tutorial-rx && cp sender/compat.enc tutorial-rx/message.enc
run_in tutorial-rx bash -c 'openssl pkeyutl -decrypt -inkey ../receiver/decrypt.pem \
        -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha256 \
        -in message.enc -out message.tar.gz && tar -xzf message.tar.gz &&
    openssl dgst -sha512 -verify ../sender/sign.pub -signature message.sig message.json'
check "compat: the tutorial's openssl and tar commands open and verify it" bash -c '[ '"$rc"' -eq 0 ] &&
    grep -qx "Verified OK" "$1" && cmp -s tutorial-rx/message.json "$2"' _ "$OUT" "$MSG"
# ... and the tutorial's own message.enc (openssl standing in for KMS) opens with --allow-compat.
mkdir tutorial-tx && cp "$MSG" tutorial-tx/message.json
run_in tutorial-tx bash -c 'openssl dgst -sha512 -sign ../sender/sign.pem -out message.sig message.json &&
    tar -czf message.tar.gz message.sig message.json &&
    openssl pkeyutl -encrypt -pubin -inkey ../sender/receiver.pub -pkeyopt rsa_padding_mode:oaep \
        -pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha256 -in message.tar.gz -out message.enc'
run_in receiver "$E" open --allow-compat --decrypt-key decrypt.pem --verify-key sender.pub \
    -o tutorial.json ../tutorial-tx/message.enc
check "compat: the tutorial's own message.enc opens with --allow-compat" bash -c '[ '"$rc"' -eq 0 ] &&
    cmp -s receiver/tutorial.json "$1" && grep -q "warning: compat envelope" "$2"' _ "$MSG" "$ERR"

# KMS keys, against the KMS test server, when this build has a KMS client.
run env -i PATH="$PATH" AWS_EC2_METADATA_DISABLED=true "$E" pubkey awskms:///alias/probe
if grep -q "not available in this version" "$ERR"; then
    check "KMS reference in a build without KMS: exit 3, says so" bash -c '[ '"$rc"' -eq 3 ] &&
        grep -q "^envelope: pubkey awskms:///alias/probe: not supported" "$1"' _ "$ERR"
    echo "# KMS session skipped: this build has no KMS client"
else
    . "$HERE/t_tutorial_kms.sh"
fi
