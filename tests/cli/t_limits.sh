# Policy when opening (--max-size, --max-age), dated seals (--created), and
# the formats (--format, --allow-compat).

head -c 2048 /dev/urandom >two.bin
run "$E" seal --sign-key "$K/signer.pem" --to "$K/alice.pub" -o two.enc two.bin
open_two() { run "$E" open --decrypt-key "$K/alice.pem" --verify-key "$K/signer.pub" "$@"; }
open_two --max-size 1K -o two.out two.enc
failed "--max-size 1K, a 2 KiB message: exit 1, no output, the size, the limit, the option" 1 \
    "^envelope: two.enc: message larger than allowed \(message of 2048 bytes; the limit is 1024\): --max-size N raises the limit" \
    two.out
open_two --max-size 1K --extract two.dir two.enc
failed "--max-size 1K with --extract: exit 1, no DIR" 1 "message larger than allowed" two.dir
open_two --max-size 2K -o two.out two.enc
check "--max-size 2K, a 2 KiB message: opens" bash -c '[ '"$rc"' -eq 0 ] && cmp -s two.out two.bin'
open_two --max-size lots -o bad.out two.enc
failed "--max-size lots: exit 2" 2 "^envelope open: --max-size 'lots': a size like 512, 10M or 2G, or 'unlimited'" bad.out
open_two --max-size unlimited -o two-u.out two.enc
check "--max-size unlimited: opens" bash -c '[ '"$rc"' -eq 0 ] && cmp -s two-u.out two.bin'

run "$E" seal --sign-key "$K/signer.pem" --to "$K/alice.pub" --created 2020-01-01T00:00:00Z \
    -o old.enc note.json
succeeded "seal --created 2020-01-01T00:00:00Z"
open_two --max-age 7d -o old.out old.enc
failed "--max-age 7d, a 2020 envelope: exit 1, no output" 1 \
    "^envelope: old.enc: envelope older than allowed, or dated in the future \(created [0-9]+ seconds ago; the limit is 604800\)$" old.out
open_two old.enc
check "no --max-age: a 2020 envelope opens, dated 2020-01-01T00:00:00Z" bash -c '[ '"$rc"' -eq 0 ] &&
    cmp -s "$1" note.json && grep -q " on 2020-01-01T00:00:00Z$" "$2"' _ "$OUT" "$ERR"
run "$E" seal --sign-key "$K/signer.pem" --to "$K/alice.pub" --created "@$(( $(date +%s) - 60 ))" \
    -o recent.enc note.json
open_two --max-age 10m recent.enc
check "--max-age 10m, sealed a minute ago (--created @SECONDS): opens" \
    bash -c '[ '"$rc"' -eq 0 ] && cmp -s "$1" note.json' _ "$OUT"
run "$E" seal --sign-key "$K/signer.pem" --to "$K/alice.pub" --created "@$(( $(date +%s) + 86400 ))" \
    -o future.enc note.json
open_two -o future.out future.enc
failed "an envelope dated tomorrow: exit 1" 1 \
    "dated in the future \(created [0-9TZ:-]+, 864[0-9]{2} s ahead of this machine's clock" future.out
run "$E" seal --sign-key "$K/signer.pem" --to "$K/alice.pub" --created "@$(( $(date +%s) + 90000 ))" \
    -o far.enc note.json
open_two --max-skew 1d -o far.out far.enc
failed "--max-skew 1d, an envelope dated 25 hours ahead: still refused" 1 \
    "\(created [0-9TZ:-]+, (89[0-9]{3}|90000) s ahead of this machine's clock \([0-9TZ:-]+\); the allowed skew is 86400 s\)" \
    far.out

# 15 minutes ahead: refused by default naming both times, opened with a
# larger --max-skew. The receiver's time shown must lie between the clock
# read before and after the run, and the difference must follow from it.
ahead=$(( $(date +%s) + 900 ))
ahead_utc=$(date -u -d "@$ahead" +%Y-%m-%dT%H:%M:%SZ)
run "$E" seal --sign-key "$K/signer.pem" --to "$K/alice.pub" --created "@$ahead" -o ahead.enc note.json
before=$(date +%s)
open_two -o ahead.out ahead.enc
after=$(date +%s)
failed "15 minutes ahead: exit 1, no output, both times, the difference, the limit, the option" 1 \
    "^envelope: ahead.enc: envelope older than allowed, or dated in the future \(created $ahead_utc, [0-9]+ s ahead of this machine's clock \([0-9TZ:-]+\); the allowed skew is 300 s\): --max-skew SECONDS allows a larger clock difference \(at most 86400\)$" \
    ahead.out
skew_consistent() {
    local here diff t
    here=$(sed -n "s/.*machine's clock (\([^)]*\)).*/\1/p" "$ERR")
    diff=$(sed -n 's/.*, \([0-9]*\) s ahead of.*/\1/p' "$ERR")
    t=$(date -u -d "$here" +%s) || return 1
    [ "$t" -ge "$before" ] && [ "$t" -le "$after" ] && [ "$diff" -eq $((ahead - t)) ]
}
check "15 minutes ahead: the receiver's time is this run's and the difference follows" skew_consistent
open_two --max-skew 1200 -o ahead.out ahead.enc
check "--max-skew 1200: the same envelope opens" \
    bash -c '[ '"$rc"' -eq 0 ] && cmp -s ahead.out note.json' _
rm -f ahead.out
open_two --max-skew 15m --max-age 60 -o ahead.out ahead.enc
check "--max-skew 15m (suffix) with --max-age 60: opens (it is not old)" \
    bash -c '[ '"$rc"' -eq 0 ] && cmp -s ahead.out note.json' _
rm -f ahead.out
open_two --max-skew 0 -o ahead.out ahead.enc
failed "--max-skew 0: refused, the limit 0 s" 1 "the allowed skew is 0 s\)" ahead.out
open_two --max-skew 86401 -o ahead.out ahead.enc
failed "--max-skew 86401: exit 2, the bound" 2 \
    "^envelope open: --max-skew '86401': seconds from 0 to 86400 \(or 15m, 12h, 1d\)" ahead.out
open_two --max-skew 2d -o ahead.out ahead.enc
failed "--max-skew 2d: exit 2" 2 "^envelope open: --max-skew '2d': seconds from 0 to 86400" ahead.out
open_two --max-skew -5 -o ahead.out ahead.enc
failed "--max-skew -5: exit 2" 2 "^envelope open: --max-skew '-5': seconds from 0 to 86400" ahead.out
open_two --max-skew 10 --max-skew 20 -o ahead.out ahead.enc
failed "two --max-skew: exit 2" 2 "^envelope open: --max-skew given twice" ahead.out
run "$E" open --help
check "open --help explains --max-skew: its default, its bound, both times" bash -c '[ '"$rc"' -eq 0 ] &&
    grep -q "\[--max-skew SECONDS\]" "$1" && grep -q "more than --max-skew SECONDS ahead of this" "$1" &&
    grep -q "(default 300," "$1" && grep -q "at most 86400" "$1" && grep -q "gives both times" "$1"' _ "$OUT"
open_two --max-age 3w old.enc
failed "--max-age 3w: exit 2" 2 "^envelope open: --max-age '3w': a duration like 90s, 15m, 12h or 7d"
run "$E" seal --sign-key "$K/signer.pem" --to "$K/alice.pub" --created 2021-02-30T00:00:00Z -o bad.enc note.json
failed "seal --created with no such day: exit 2" 2 "^envelope seal: --created '2021-02-30T00:00:00Z': a UTC time" bad.enc

# Formats. compat is the tutorial's message.enc: RSA-4096, small messages.
run "$E" seal --sign-key "$K/signer.pem" --to "$K/alice.pub" --format v1 -o v1.enc note.json
check "--format v1 is the default format" bash -c '[ '"$rc"' -eq 0 ] && "$1" inspect v1.enc >/dev/null' _ "$E"
run "$E" seal --sign-key "$K/signer.pem" --to "$K/alice.pub" --format v2 -o bad.enc note.json
failed "--format v2: exit 2" 2 "^envelope seal: --format 'v2': v1 or compat" bad.enc
run "$E" seal --sign-key "$K/signer.pem" --to "$K/dave.pub" --format compat -o compat.enc note.json
succeeded "--format compat, RSA-4096, a small message"
run "$E" open --decrypt-key "$K/dave.pem" --verify-key "$K/signer.pub" -o compat.out compat.enc
failed "open a compat envelope without --allow-compat: exit 1" 1 \
    "^envelope: compat.enc: compat envelope refused: it lacks recipient binding" compat.out
run "$E" open --allow-compat --decrypt-key "$K/dave.pem" --verify-key "$K/signer.pub" -o compat.out compat.enc
check "open --allow-compat: opens, and warns what compat lacks" bash -c '[ '"$rc"' -eq 0 ] &&
    cmp -s compat.out note.json && grep -q "^envelope: warning: compat envelope: its signature is not bound to its recipients" "$1"' _ "$ERR"
run "$E" open --allow-compat --decrypt-key "$K/alice.pem" --verify-key "$K/signer.pub" -o v1.out v1.enc
check "open --allow-compat still opens v1" bash -c '[ '"$rc"' -eq 0 ] && cmp -s v1.out note.json &&
    ! grep -q warning "$1"' _ "$ERR"
run "$E" seal --sign-key "$K/signer.pem" --to "$K/dave.pub" --format compat -o bad.enc two.bin
failed "--format compat, a 2 KiB message: exit 2, names the limit" 2 \
    "^envelope: two.bin: message too large for the compat format \(.*at most 446" bad.enc
run "$E" seal --sign-key "$K/signer.pem" --to "$K/alice.pub" --format compat -o bad.enc note.json
failed "--format compat, an RSA-2048 recipient: exit 2" 2 "RSA-2048 .*holds at most 190" bad.enc
