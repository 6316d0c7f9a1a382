# Start-up: what a one-shot process loads and reads before its work. The
# system's OpenSSL configuration applies to the CLI (it is read at
# OpenSSL's first use, as in any OpenSSL program), a local-key seal or open
# loads no libcurl, and a seal runs neither OpenSSL's exit clean-up nor its
# encoders.

head -c 1024 /dev/urandom >start.bin
run "$E" seal -q --sign-key "$K/signer.pem" --to "$K/dave.pub" -o start.env start.bin
succeeded "start-up: a 1 KiB seal for the checks below"

# A configuration that activates OpenSSL's base provider alone: no key
# decoders, no algorithms. Keys then fail to load; nothing is written.
cat >base-only.cnf <<'EOS'
openssl_conf = init
[init]
providers = provider_sect
[provider_sect]
base = base_sect
[base_sect]
activate = 1
EOS
rm -f start2.env start.out
run env OPENSSL_CONF="$W/base-only.cnf" "$E" seal --sign-key "$K/signer.pem" \
    --to "$K/dave.pub" -o start2.env start.bin
failed "start-up: OPENSSL_CONF applies to seal (base provider only: exit 3)" 3 \
    "^envelope: --sign-key .*signer.pem: cannot load key \(not a PEM or DER key" start2.env
run env OPENSSL_CONF="$W/base-only.cnf" "$E" open --decrypt-key "$K/dave.pem" \
    --verify-key "$K/signer.pub" -o start.out start.env
failed "start-up: OPENSSL_CONF applies to open (base provider only: exit 3)" 3 \
    "^envelope: --decrypt-key .*dave.pem: cannot load key \(not a PEM or DER key" start.out

# LD_DEBUG=libs names every shared object the loader initialises, those
# loaded later with dlopen included. A v1 seal or open with local keys loads
# neither libcurl (KMS) nor libarchive (compat) nor libxml2 (STS); a compat
# open loads libarchive, so the check sees a dlopen when there is one.
rm -f start3.env start3.out start3c.enc start3c.out
printf "a compat message\n" >start3.txt
for op in seal open compat-seal compat-open; do
    case $op in
    seal) set -- seal -q --sign-key "$K/signer.pem" --to "$K/dave.pub" -o start3.env start.bin ;;
    open) set -- open -q --decrypt-key "$K/dave.pem" --verify-key "$K/signer.pub" \
        -o start3.out start3.env ;;
    compat-seal) set -- seal -q --format compat --sign-key "$K/signer.pem" --to "$K/dave.pub" \
        -o start3c.enc start3.txt ;;
    compat-open) set -- open -q --allow-compat --decrypt-key "$K/dave.pem" \
        --verify-key "$K/signer.pub" -o start3c.out start3c.enc ;;
    esac
    run env LD_DEBUG=libs LD_DEBUG_OUTPUT="$T/ld" "$E" "$@"
    loaded=$(cat "$T"/ld.* 2>/dev/null |
        grep -o "calling init: .*\(libcurl\|libarchive\|libxml2\)[^ ]*" | sort -u)
    inits=$(cat "$T"/ld.* 2>/dev/null | grep -c "calling init:")
    rm -f "$T"/ld.*
    case $op in
    compat-*) what="start-up: a $op loads libarchive, and no libcurl" ;;
    *) what="start-up: a local-key $op loads no libcurl, libarchive or libxml2" ;;
    esac
    if [ "$rc" -ne 0 ]; then
        flunk "$what" "$(last_run)"
    elif [ "$inits" -eq 0 ]; then
        flunk "$what" "LD_DEBUG=libs reported nothing"
    elif [ "${op#compat-}" = "$op" ] && [ -n "$loaded" ]; then
        flunk "$what" "it loaded: $loaded"
    elif [ "${op#compat-}" != "$op" ] && [ "${loaded#*libarchive}" = "$loaded" ]; then
        flunk "$what" "libarchive was not loaded; LD_DEBUG saw: $loaded"
    elif [ "${op#compat-}" != "$op" ] && [ "${loaded#*libcurl}" != "$loaded" ]; then
        flunk "$what" "it loaded: $loaded"
    else
        pass "$what"
    fi
done
check "start-up: the compat open gave the message back" same start3.txt start3c.out
check "start-up: the open gave the message back" same start.bin start3.out

# What a seal does not run, by valgrind's callgrind, which counts the
# instructions executed inside one function: OpenSSL's clean-up at exit
# (1.4 million when it runs) and OpenSSL's encoders, whose first use costs
# about 4 million (the fingerprints are made without them, key_spki.c).
never_runs() { # NAME FUNCTION
    run valgrind --tool=callgrind --callgrind-out-file=/dev/null --toggle-collect="$2" \
        "$E" seal -q --force --sign-key "$K/signer.pem" --to "$K/dave.pub" -o start4.env start.bin
    inside=$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$ERR")
    if [ "$rc" -ne 0 ] || [ -z "$inside" ]; then
        flunk "$1" "$(last_run)"
    elif [ "$inside" -ne 0 ]; then
        flunk "$1" "$inside instructions ran inside $2"
    else
        pass "$1"
    fi
}
if ldd "$E" | grep -Eq "lib(a|t|ub)san"; then
    echo "# start-up: the callgrind checks skipped: a sanitizer build cannot run under valgrind"
elif command -v valgrind >/dev/null; then
    never_runs "start-up: a seal runs no OpenSSL clean-up at exit" OPENSSL_cleanup
    never_runs "start-up: a seal runs none of OpenSSL's encoders" OSSL_ENCODER_CTX_new_for_pkey
else
    echo "# start-up: the callgrind checks skipped: no valgrind"
fi
