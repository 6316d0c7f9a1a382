# Every combination, not just every feature: format {v1, compat} x signing
# key {local, KMS} x recipients {local, KMS, both} x input {regular file,
# pipe, procfs file, empty file, 1 byte} x output {file, stdout, --extract}.
# Each cell seals and opens; it round-trips, or fails with its documented
# error, and leaves nothing behind: no stray file beside the outputs, nothing
# in TMPDIR. Then compat at the recipient's limit and one byte over it.

MX=$T/matrix
mkdir -p "$MX/tmp" "$MX/cells"
cat >"$MX/seed.json" <<JSON
{"keys": [
  {"key_spec": "ECC_NIST_P521", "key_usage": "SIGN_VERIFY",
   "aliases": ["alias/sample-sign-verify-key"], "private_key_file": "$K/signer.pem"},
  {"key_spec": "RSA_3072", "key_usage": "ENCRYPT_DECRYPT",
   "aliases": ["alias/sample-encrypt-decrypt-key"], "private_key_file": "$K/carol.pem"}
]}
JSON
# The tutorial's aliases, under its least-privilege principals.
kms_start "$MX/kms" "$MX/seed.json" || return 0
KSIGN=awskms:///alias/sample-sign-verify-key
KENC=awskms:///alias/sample-encrypt-decrypt-key
printf 'A message for every cell.\n' >"$MX/file.txt"
: >"$MX/empty.txt"
printf 'x' >"$MX/one.txt"
PROCFS=/proc/sys/kernel/ostype

# The keys of a cell: signing key, recipients, and the key that opens it.
sign_args() { if [ "$1" = kms ]; then echo "$KSIGN"; else echo "$K/signer.pem"; fi; }
verify_arg() { if [ "$1" = kms ]; then echo "$KSIGN"; else echo "$K/signer.pub"; fi; }
to_args() {
    case $1 in
    local) echo "--to $K/dave.pub" ;;
    kms) echo "--to $KENC" ;;
    both) echo "--to $K/dave.pub --to $KENC" ;;
    esac
}
# Both stanzas get used: the KMS key opens "both" to stdout, dave.pem the rest.
decrypt_arg() { # RECIPIENTS OUTPUT
    if [ "$1" = kms ] || { [ "$1" = both ] && [ "$2" = stdout ]; }; then
        echo "$KENC"
    else
        echo "$K/dave.pem"
    fi
}
# The message a cell seals, its name inside the envelope, and how it is fed.
expected() { # INPUT: the bytes the envelope must carry
    case $1 in
    file | pipe) cat "$MX/file.txt" ;;
    procfs) cat "$PROCFS" ;;
    empty) ;;
    one) printf x ;;
    esac
}
inner_name() {
    case $1 in
    file) echo file.txt ;; pipe) echo message ;; procfs) echo ostype ;;
    empty) echo empty.txt ;; one) echo one.txt ;;
    esac
}
seal_cell() { # FORMAT SIGNER RECIPIENTS INPUT: seals into $CELL/sealed.env
    local fmt=$1 signer=$2 rcpt=$3 input=$4
    # shellcheck disable=SC2046
    set -- seal --format "$fmt" --sign-key "$(sign_args "$signer")" $(to_args "$rcpt") \
        -o "$CELL/sealed.env"
    case $input in
    file) as sender "$E" "$@" "$MX/file.txt" ;;
    pipe) as sender sh -c 'f=$1 e=$2; shift 2; cat "$f" | "$e" "$@"' _ "$MX/file.txt" "$E" "$@" - ;;
    procfs) as sender "$E" "$@" "$PROCFS" ;;
    empty) as sender "$E" "$@" "$MX/empty.txt" ;;
    one) as sender "$E" "$@" "$MX/one.txt" ;;
    esac
}
# nothing_else DIR NAME...: DIR holds exactly NAMEs, and TMPDIR nothing.
nothing_else() {
    local dir=$1 got want
    shift
    got=$(ls -A "$dir" | sort | tr '\n' ' ')
    want=$(printf '%s\n' "$@" | sort | tr '\n' ' ')
    if [ "$got" != "$want" ]; then
        echo "in $dir: [$got], want [$want]"
        return 1
    fi
    if [ -n "$(ls -A "$MX/tmp")" ]; then
        echo "left in TMPDIR: $(ls -A "$MX/tmp")"
        return 1
    fi
}
open_cell() { # FORMAT SIGNER RECIPIENTS INPUT OUTPUT
    local fmt=$1 signer=$2 rcpt=$3 input=$4 output=$5 name why=""
    name="$fmt/$signer/$rcpt/$input/$output"
    set -- open --allow-compat --decrypt-key "$(decrypt_arg "$rcpt" "$output")" \
        --verify-key "$(verify_arg "$signer")"
    case $output in
    file) as receiver "$E" "$@" -o "$CELL/out" "$CELL/sealed.env" ;;
    stdout) as receiver "$E" "$@" "$CELL/sealed.env" ;;
    extract) as receiver "$E" "$@" --extract "$CELL/dir" "$CELL/sealed.env" ;;
    esac
    expected "$input" >"$CELL/want"
    if [ "$rc" -ne 0 ]; then
        why="open: exit $rc"
    else
        case $output in
        file) cmp -s "$CELL/out" "$CELL/want" || why="-o: not the message sealed"
            [ -z "$why" ] && [ "$(mode "$CELL/out")" != 600 ] && why="-o: mode $(mode "$CELL/out")" ;;
        stdout) cmp -s "$OUT" "$CELL/want" || why="stdout: not the message sealed" ;;
        extract) cmp -s "$CELL/dir/$(inner_name "$input")" "$CELL/want" ||
            why="--extract: no $(inner_name "$input") holding the message: $(ls -A "$CELL/dir" 2>&1)" ;;
        esac
    fi
    if [ -z "$why" ]; then
        case $output in
        file) why=$(nothing_else "$CELL" sealed.env out want) ;;
        stdout) why=$(nothing_else "$CELL" sealed.env want) ;;
        extract) why=$(nothing_else "$CELL" sealed.env dir want) ;;
        esac
    fi
    rm -rf "$CELL/out" "$CELL/dir" "$CELL/want"
    if [ -z "$why" ]; then pass "matrix $name"; else flunk "matrix $name" "$why; stderr: $(tail -n 3 "$ERR")"; fi
}

TMPDIR_SAVED=${TMPDIR-}
export TMPDIR=$MX/tmp
for fmt in v1 compat; do
    for signer in local kms; do
        for rcpt in local kms both; do
            for input in file pipe procfs empty one; do
                CELL=$MX/cells/$fmt-$signer-$rcpt-$input
                mkdir -p "$CELL"
                seal_cell "$fmt" "$signer" "$rcpt" "$input"
                if [ "$fmt" = compat ] && [ "$rcpt" = both ]; then
                    failed "matrix $fmt/$signer/$rcpt/$input: seal refuses two recipients, exit 2" 2 \
                        "^envelope: .*: invalid argument \(the compat format takes a signing key and exactly one recipient\)$" \
                        "$CELL/sealed.env"
                    continue
                fi
                if [ "$rc" -ne 0 ] || [ ! -s "$CELL/sealed.env" ]; then
                    flunk "matrix $fmt/$signer/$rcpt/$input: seal" "exit $rc; stderr: $(tail -n 3 "$ERR")"
                    continue
                fi
                for output in file stdout extract; do
                    open_cell "$fmt" "$signer" "$rcpt" "$input" "$output"
                done
            done
        done
    done
done
if [ -n "$TMPDIR_SAVED" ]; then export TMPDIR=$TMPDIR_SAVED; else unset TMPDIR; fi

# compat at the recipient's limit and one byte over. The archive's length
# depends on the random signature (137 to 139 bytes, gzip'd with the rest),
# so the check walks the message length around the limit, measuring every
# archive: each sealed one (decrypted with openssl) must be within the limit,
# each refused one past it with COMPAT_TOO_LARGE (exit 2) and no output,
# until it has seen an archive of exactly the limit sealed and opened, and
# one of the limit plus one refused. Counted attempts, not time.
head -c 600 /dev/zero | openssl enc -aes-256-ctr -K "$(printf '%064d' 0)" -iv "$(printf '%032d' 0)" \
    >"$MX/noise"
archive_len() { # ENVELOPE PRIVATE_PEM: the length of the compat archive inside
    openssl pkeyutl -decrypt -inkey "$2" -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256 \
        -pkeyopt rsa_mgf1_md:sha256 -in "$1" | wc -c
}
compat_boundary() { # NAME RECIPIENT PRIVATE_PEM DECRYPT_KEY LIMIT
    local name=$1 to=$2 pem=$3 dk=$4 limit=$5 n x tries=0 at="" over="" why=""
    local cell=$MX/cells/boundary-$name
    mkdir -p "$cell"
    n=$((limit - 280))
    while [ $tries -lt 400 ] && { [ -z "$at" ] || [ -z "$over" ]; }; do
        tries=$((tries + 1))
        head -c "$n" "$MX/noise" >"$cell/msg"
        as sender "$E" seal --format compat --sign-key "$K/signer.pem" --to "$to" -o "$cell/b.env" \
            "$cell/msg"
        if [ "$rc" -eq 0 ]; then
            x=$(archive_len "$cell/b.env" "$pem")
            if [ "$x" -gt "$limit" ]; then why="sealed an archive of $x bytes"; break; fi
            if [ "$x" -eq "$limit" ] && [ -z "$at" ]; then
                as receiver "$E" open --allow-compat --decrypt-key "$dk" --verify-key "$K/signer.pub" \
                    -o "$cell/out" "$cell/b.env"
                if [ "$rc" -ne 0 ] || ! cmp -s "$cell/out" "$cell/msg"; then
                    why="an archive of exactly $limit bytes did not open (exit $rc)"
                    break
                fi
                at="$n bytes"
            fi
            rm -f "$cell/b.env" "$cell/out"
            n=$((n + 1))
            continue
        fi
        x=$(sed -En 's/.*the compat archive takes ([0-9]+) bytes[;,].*/\1/p' "$ERR")
        if [ "$rc" -ne 2 ] || [ -e "$cell/b.env" ] ||
            ! grep -q "message too large for the compat format" "$ERR"; then
            why="refused with exit $rc, or left output"
            break
        fi
        if [ -n "$x" ] && [ "$x" -le "$limit" ]; then why="refused an archive of $x bytes"; break; fi
        [ "$x" = $((limit + 1)) ] && over="$n bytes"
        n=$((n - 1))
    done
    [ -z "$why" ] && { [ -z "$at" ] || [ -z "$over" ]; } &&
        why="after $tries seals: at the limit ${at:-never seen}, one over ${over:-never seen}"
    if [ -z "$why" ]; then
        pass "matrix compat/$name: an archive of exactly $limit bytes seals and opens, $((limit + 1)) is refused ($tries seals)"
    else
        flunk "matrix compat/$name: the limit is $limit bytes exactly" "$why; last message $n bytes; stderr: $(tail -n 3 "$ERR")"
    fi
}
compat_boundary local-rsa4096 "$K/dave.pub" "$K/dave.pem" "$K/dave.pem" 446
compat_boundary local-rsa3072 "$K/carol.pub" "$K/carol.pem" "$K/carol.pem" 318
compat_boundary kms-rsa3072 "$KENC" "$K/carol.pem" "$KENC" 318
