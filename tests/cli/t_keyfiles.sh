# Key files as users hold them: several public keys in one file for --to
# and --verify-key, the EC PARAMETERS block of `openssl ecparam -genkey`,
# and the files that are refused.

echo "a message for a team" >team-msg.txt
cat "$K/alice.pub" "$K/bob.pub" >team.pub

run "$E" seal --sign-key "$K/signer.pem" --to team.pub -o team.env team-msg.txt
succeeded "seal --to a file of two keys" "^envelope: --to team.pub: 2 keys$"
run "$E" inspect team.env
check "seal --to team.pub: both keys are recipients" \
    bash -c '[ '"$rc"' -eq 0 ] && grep -q "^recipients: 2$" "$1" &&
             grep -q "$2" "$1" && grep -q "$3" "$1"' _ "$OUT" "$(fingerprint "$K/alice.pub")" \
    "$(fingerprint "$K/bob.pub")"
for who in alice bob; do
    run "$E" open --decrypt-key "$K/$who.pem" --verify-key "$K/signer.pub" -o "team-$who.txt" team.env
    check "seal --to team.pub: $who opens it" \
        bash -c '[ '"$rc"' -eq 0 ] && cmp -s "$1" team-msg.txt' _ "team-$who.txt"
done

# The same key twice: used once, with a note.
run "$E" seal --sign-key "$K/signer.pem" --to "$K/alice.pub" --to team.pub -o twice.env team-msg.txt
succeeded "seal --to a key twice: used once, with a note" \
    "^envelope: note: --to team.pub: the same key as --to $K/alice.pub, used once$"
run "$E" inspect twice.env
check "seal --to a key twice: two recipients, not three" grep -q "^recipients: 2$" "$OUT"
run "$E" seal --sign-key "$K/signer.pem" --to "file:$K/bob.pub" --to "$K/bob.pub" -o twice2.env team-msg.txt
succeeded "seal --to one key by two names: a note" "the same key as --to file:$K/bob.pub, used once"

# --verify-key with a file of several signers.
cat "$K/other-signer.pub" "$K/signer.pub" >signers.pub
run "$E" open --decrypt-key "$K/alice.pem" --verify-key signers.pub -o signers.txt team.env
succeeded "open --verify-key a file of two keys: the second one signed" \
    "^envelope: --verify-key signers.pub: 2 keys$"
check "open --verify-key signers.pub: the message written" same signers.txt team-msg.txt
run "$E" open --decrypt-key "$K/alice.pem" --verify-key "$K/other-signer.pub" -o nobody.txt team.env
failed "open --verify-key without the signer's key: exit 1" 1 "any --verify-key" nobody.txt
run "$E" open --decrypt-key "$K/alice.pem" --verify-key "$K/signer.pub" --extract team-dir team.env
run "$E" verify --verify-key signers.pub team-dir
check "verify --verify-key a file of two keys" \
    bash -c '[ '"$rc"' -eq 0 ] && grep -q "^envelope: --verify-key signers.pub: 2 keys$" "$1"' _ "$ERR"

# A key made by `openssl ecparam -genkey`: EC PARAMETERS, then the key.
openssl ecparam -name secp521r1 -genkey -out ecparam.pem 2>/dev/null
check "openssl ecparam writes an EC PARAMETERS block first" \
    bash -c 'head -1 ecparam.pem | grep -q "BEGIN EC PARAMETERS"'
run "$E" pubkey ecparam.pem -o ecparam.pub
succeeded "pubkey of an ecparam key"
check "pubkey of an ecparam key: the key openssl sees" \
    bash -c '[ "$(openssl pkey -in ecparam.pem -pubout)" = "$(cat ecparam.pub)" ]'
cat <(openssl ecparam -name secp521r1) ecparam.pub >ecparam-params.pub
run "$E" seal --sign-key ecparam.pem --to "$K/alice.pub" -o ecparam.env team-msg.txt
succeeded "seal --sign-key an ecparam key"
run "$E" open --decrypt-key "$K/alice.pem" --verify-key ecparam-params.pub -o ecparam.txt ecparam.env
succeeded "open --verify-key an ecparam key's public key after its EC PARAMETERS"
check "the ecparam key's message opens" same ecparam.txt team-msg.txt
openssl ecparam -name prime256v1 >p256-params.pem
cat p256-params.pem "$K/signer.pub" >p256-params.pub
run "$E" open --decrypt-key "$K/alice.pem" --verify-key p256-params.pub -o p256.txt ecparam.env
failed "--verify-key after EC PARAMETERS of P-256: exit 3" 3 \
    "^envelope: --verify-key p256-params.pub: .*block 1: EC PARAMETERS of another curve than P-521" \
    p256.txt

# Refused: a private key among other keys, any other block.
cat "$K/alice.pub" "$K/bob.pem" >mixed.pem
run "$E" seal --sign-key "$K/signer.pem" --to mixed.pem -o mixed.env team-msg.txt
failed "--to a private key among public keys: exit 3, file and block named" 3 \
    "^envelope: --to mixed.pem: .*block 2: the file holds a private key \(block 2\) and other keys" \
    mixed.env
cat "$K/signer.pem" "$K/signer.pub" >mixed-sign.pem
run "$E" seal --sign-key mixed-sign.pem --to "$K/alice.pub" -o mixed.env team-msg.txt
failed "--sign-key a private key with its public key: exit 3" 3 \
    "^envelope: --sign-key mixed-sign.pem: .*block 2: the file holds a private key \(block 1\)" \
    mixed.env
{ cat team.pub; printf -- '-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n'; } >cert.pub
run "$E" seal --sign-key "$K/signer.pem" --to cert.pub -o cert.env team-msg.txt
failed "--to a file with a certificate block: exit 3, block named" 3 \
    "^envelope: --to cert.pub: .*block 3: a \"CERTIFICATE\" block, not a key" cert.env
run "$E" seal --sign-key "$K/signer.pem" --to "$K/alice.pub" --to signers.pub -o kind.env team-msg.txt
failed "--to a file of signing keys: exit 3" 3 "^envelope: --to signers.pub: an ECDSA P-521 signing key" \
    kind.env
run "$E" pubkey team.pub
failed "pubkey of a file of two keys: exit 3" 3 "^envelope: pubkey team.pub: .*2 keys where one is needed"

# The limit of 16 recipients counts keys: 16 in one file, one more beside.
for i in $(seq 1 13); do
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 2>/dev/null |
        openssl pkey -pubout >"gen$i.pub"
done
cat "$K/alice.pub" "$K/bob.pub" "$K/carol.pub" gen*.pub >sixteen.pub
run "$E" seal --sign-key "$K/signer.pem" --to sixteen.pub -o sixteen.env team-msg.txt
succeeded "seal --to a file of 16 keys" "^envelope: --to sixteen.pub: 16 keys$"
run "$E" inspect sixteen.env
check "seal --to 16 keys: 16 recipients" grep -q "^recipients: 16$" "$OUT"
run "$E" seal --quiet --sign-key "$K/signer.pem" --to sixteen.pub --to "$K/dave.pub" -o seventeen.env \
    team-msg.txt
failed "seal --to 17 keys in two files: exit 2" 2 \
    "^envelope seal: at most 16 recipients; the --to options give 17 keys" seventeen.env

# Up to 64 --to options (a key given again counts once), checked against
# the inputs before any key is loaded; a 65th is a usage error.
many=()
for i in $(seq 1 64); do many+=(--to "$K/alice.pub"); done
run "$E" seal --quiet --sign-key "$K/signer.pem" "${many[@]}" -o many.env team-msg.txt
check "seal with 64 --to options of one key: one recipient (exit $rc)" \
    bash -c '[ '"$rc"' -eq 0 ] && "$1" inspect many.env | grep -q "^recipients: 1$"' _ "$E"
run "$E" seal --quiet --sign-key "$K/signer.pem" "${many[@]}" --to "$K/bob.pub" -o many65.env \
    team-msg.txt
failed "seal with 65 --to options: exit 2" 2 \
    "^envelope seal: at most 64 --to options \(and 16 recipients\)" many65.env

# The same KMS reference twice: a note, and one recipient (the endpoint here
# refuses connections, so sealing then fails without a network).
KREF="awskms://127.0.0.1:1/arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
run env AWS_MAX_ATTEMPTS=1 AWS_EC2_METADATA_DISABLED=true AWS_ACCESS_KEY_ID=AKIAEXAMPLE \
    AWS_SECRET_ACCESS_KEY=example "$E" seal --sign-key "$K/signer.pem" --to "$KREF" --to "$KREF" \
    -o kms-twice.env team-msg.txt
check "seal --to a KMS reference twice: a note, then the KMS error, nothing written" \
    bash -c '[ '"$rc"' -eq 3 ] && [ "$(wc -l <"$1")" -eq 2 ] &&
             grep -q "^envelope: note: --to $2: the same key as --to $2, used once$" "$1" &&
             grep -q "cannot connect" "$1" && ! [ -e kms-twice.env ]' _ "$ERR" "$KREF"
