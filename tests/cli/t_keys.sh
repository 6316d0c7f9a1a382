# The command itself, keygen and pubkey.

run "$E" --version
check "--version exits 0 and names the version" \
    grep -Eq '^envelope [0-9]+\.[0-9]+\.[0-9]+ \(library [0-9.]+\)$' "$OUT"
run "$E" --help
check "--help exits 0 and lists every command and exit status" \
    bash -c '[ '"$rc"' -eq 0 ] && grep -q "verify  --verify-key" "$1" && grep -q "4  input/output error" "$1"' _ "$OUT"
for sub in keygen pubkey seal open verify inspect; do
    run "$E" "$sub" --help
    check "$sub --help exits 0 with its usage on stdout" \
        bash -c '[ '"$rc"' -eq 0 ] && head -1 "$1" | grep -q "^usage: envelope '"$sub"'"' _ "$OUT"
done
run "$E"
check "no command: exit 2 and the usage on stderr" \
    bash -c '[ '"$rc"' -eq 2 ] && grep -q "^usage: envelope COMMAND" "$1" && ! [ -s "$2" ]' _ "$ERR" "$OUT"
run "$E" frobnicate
failed "unknown command: exit 2" 2 "^envelope: unknown command 'frobnicate'"
run "$E" seal --frobnicate
failed "unknown option: exit 2" 2 "^envelope seal: unknown option '--frobnicate' \(see 'envelope seal --help'\)$"
run "$E" open --decrypt-key
failed "option without its value: exit 2" 2 "^envelope open: option '--decrypt-key' needs a value"

# keygen
run "$E" keygen --sign -o s.pem --pub s.pub
succeeded "keygen --sign writes a key and its public key" \
    "^envelope: ECDSA P-521 signing key sha256:[0-9a-f]{64} \([0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}\) written to s.pem$"
check "keygen: private key 0600, public key 0644" [ "$(mode s.pem)$(mode s.pub)" = 600644 ]
check "keygen --sign: a P-521 key" bash -c 'openssl pkey -in s.pem -noout -text | grep -q "NIST CURVE: P-521"'
check "keygen: the fingerprint printed is SHA-256 of the SPKI DER, then its short form" \
    grep -qF "$(fingerprint_shown s.pub) written" "$ERR"
run "$E" keygen --encrypt --bits 2048 -o r.pem --pub r.pub --quiet
check "keygen --encrypt --bits 2048 --quiet: an RSA-2048 key, nothing said" \
    bash -c '[ '"$rc"' -eq 0 ] && ! [ -s "$1" ] && openssl pkey -in r.pem -noout -text | grep -q "Private-Key: (2048 bit"' _ "$ERR"
run "$E" keygen --encrypt --bits 1024 -o weak.pem
failed "keygen --bits 1024: exit 2" 2 "--bits must be 2048, 3072 or 4096" weak.pem
run "$E" keygen --sign --bits 2048 -o weak.pem
failed "keygen --sign --bits: exit 2" 2 "--bits is for --encrypt keys" weak.pem
run "$E" keygen --sign
failed "keygen without -o: exit 2" 2 "need --sign or --encrypt, and -o KEY.pem"
cp s.pem s.pem.orig
run "$E" keygen --sign -o s.pem
failed "keygen over an existing key: exit 4, key untouched" 4 "^envelope: s.pem: already exists; --force replaces it$"
check "keygen over an existing key: key unchanged" same s.pem s.pem.orig
echo "public" >open.pem && chmod 644 open.pem
run "$E" keygen --sign --force -o open.pem
succeeded "keygen --force replaces a file"
check "keygen --force: the replaced file is 0600 and a new key" \
    bash -c '[ "$(stat -c %a open.pem)" = 600 ] && grep -q "BEGIN PRIVATE KEY" open.pem'

# Encrypted keys: --passphrase-file, --passphrase-fd; no passphrase anywhere else.
printf 'my secret words\n' >pass.txt
run "$E" keygen --sign --passphrase-file pass.txt -o enc.pem --pub enc.pub
succeeded "keygen --passphrase-file writes an encrypted key"
check "keygen --passphrase-file: PEM is ENCRYPTED PRIVATE KEY, no plain key" \
    bash -c 'grep -q "BEGIN ENCRYPTED PRIVATE KEY" enc.pem && ! grep -q "BEGIN PRIVATE KEY" enc.pem'
run "$E" keygen --sign --passphrase-fd 3 -o enc2.pem 3<pass.txt
check "keygen --passphrase-fd: encrypted with the descriptor's first line" \
    bash -c '[ '"$rc"' -eq 0 ] && openssl pkey -in enc2.pem -passin file:pass.txt -noout'
: >empty.txt
run "$E" keygen --sign --passphrase-file empty.txt -o enc3.pem
failed "keygen with an empty passphrase: exit 2" 2 "passphrase given is empty" enc3.pem
notty "$E" pubkey enc.pem
failed "pubkey of an encrypted key with no terminal: exit 3" 3 \
    "^envelope: pubkey enc.pem: the key is encrypted and there is no terminal to ask on: use --passphrase-file or --passphrase-fd$"
notty "$E" pubkey --passphrase-file pass.txt enc.pem
check "pubkey --passphrase-file opens the encrypted key" \
    bash -c '[ '"$rc"' -eq 0 ] && cmp -s "$1" enc.pub' _ "$OUT"
notty "$E" pubkey --passphrase-fd 3 enc.pem 3<pass.txt
check "pubkey --passphrase-fd opens the encrypted key" \
    bash -c '[ '"$rc"' -eq 0 ] && cmp -s "$1" enc.pub' _ "$OUT"
notty "$E" pubkey --passphrase-file "$K/passphrase.txt" enc.pem
failed "pubkey with a wrong passphrase: exit 3" 3 "^envelope: pubkey enc.pem: wrong passphrase for enc.pem$"
notty "$E" pubkey --passphrase-file "$K/passphrase.txt" enc.pem -o wrong.pub
failed "pubkey -o with a wrong passphrase: exit 3, nothing written" 3 \
    "^envelope: pubkey enc.pem: wrong passphrase for enc.pem$" \
    wrong.pub
# What protects the file: PBES2, PBKDF2-HMAC-SHA-256, 600,000 iterations, a
# 16-byte salt, AES-256-CBC.
params=$(openssl asn1parse -in enc.pem 2>&1 | "$PY" -c '
import re, sys
t = sys.stdin.read()
oids = re.findall(r"OBJECT\s+:(\S+)", t)
salt = re.search(r"OCTET STRING\s+\[HEX DUMP\]:([0-9A-F]+)", t)
it = re.search(r"prim: INTEGER\s+:([0-9A-F]+)", t)
print(",".join(oids[:4]), len(salt.group(1)) // 2 if salt else 0, int(it.group(1), 16) if it else 0)')
if [[ "$params" =~ ^PBES2,PBKDF2,hmacWithSHA256,aes-256-cbc\ 16\ ([0-9]+)$ ]] &&
    [ "${BASH_REMATCH[1]}" -ge 600000 ]; then
    pass "keygen --passphrase-file: PBKDF2-HMAC-SHA-256, >= 600000 iterations, 16-byte salt, AES-256-CBC"
else
    flunk "keygen --passphrase-file: PBKDF2-HMAC-SHA-256, >= 600000 iterations, 16-byte salt, AES-256-CBC" \
        "asn1parse gives: $params"
fi
# Files written with OpenSSL's default of 2048 iterations still load.
openssl pkcs8 -topk8 -v2 aes-256-cbc -v2prf hmacWithSHA256 -iter 2048 -in "$K/signer.pem" \
    -passout file:pass.txt -out old.pem
notty "$E" pubkey --passphrase-file pass.txt old.pem
check "pubkey of a 2048-iteration key (openssl pkcs8 -iter 2048) still loads it" \
    bash -c '[ '"$rc"' -eq 0 ] && cmp -s "$1" "$2/signer.pub" && grep -q ":0800$" <(openssl asn1parse -in old.pem)' \
    _ "$OUT" "$K"
run "$E" keygen --help
check "keygen --help says what protects an encrypted key" \
    bash -c '[ '"$rc"' -eq 0 ] && tr "\n" " " <"$1" | grep -q "PBKDF2-HMAC-SHA-256 with 600,000 iterations"' \
    _ "$OUT"
run "$E" pubkey --passphrase-fd 9 enc.pem
failed "pubkey --passphrase-fd on a closed descriptor: exit 2" 2 "--passphrase-fd 9: descriptor not open"

# pubkey
run "$E" pubkey "$K/signer.pem"
check "pubkey to stdout: the SPKI PEM, fingerprint and its short form on stderr" \
    bash -c '[ '"$rc"' -eq 0 ] && cmp -s "$1" "$3/signer.pub" && [ "$(cat "$2")" = "$4" ]' \
    _ "$OUT" "$ERR" "$K" "$(fingerprint_shown "$K/signer.pub")"
run "$E" pubkey "file:$K/dave.pem" -o dave.pub
check "pubkey file:PATH -o: written 0644" \
    bash -c '[ '"$rc"' -eq 0 ] && cmp -s dave.pub "$1/dave.pub" && [ "$(stat -c %a dave.pub)" = 644 ]' _ "$K"
run "$E" pubkey "$K/dave.pem" -o dave.pub
failed "pubkey over an existing file: exit 4" 4 "^envelope: dave.pub: already exists; --force replaces it$"
run "$E" pubkey "$K/signer.der" -o dave.pub --force
check "pubkey --force replaces it (DER private key in)" \
    bash -c '[ '"$rc"' -eq 0 ] && cmp -s dave.pub "$1/signer.pub"' _ "$K"
run "$E" pubkey nothing-here.pem
failed "pubkey of a missing file: exit 3" 3 "^envelope: pubkey nothing-here.pem: cannot load key \(No such file or directory\)$"
run "$E" pubkey "$K/README.md"
failed "pubkey of a file that is no key: exit 3" 3 "^envelope: pubkey .*README.md: cannot load key"
run "$E" pubkey "$K/rsa1024.pem"
failed "pubkey of an RSA-1024 key: exit 3" 3 "wrong type or size.*1024"
