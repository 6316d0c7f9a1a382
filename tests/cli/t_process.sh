# The process itself: the credential_process commands it runs (a secret of
# '*' alone, the deadline, its children, a prompt on the terminal), and no
# core dumps.

# CREDS_ENV: a clean AWS environment whose profile p runs $W/helper.sh as
# its credential_process; KMS is never reached (port 9). SEAL_KMS: a seal
# that needs those credentials first.
echo "{}" >proc.json
printf '[profile p]\ncredential_process = sh %s\n' "$W/helper.sh" >aws.config
CREDS_ENV=(env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN
    -u AWS_CONTAINER_CREDENTIALS_RELATIVE_URI -u AWS_CONTAINER_CREDENTIALS_FULL_URI
    AWS_CONFIG_FILE="$W/aws.config" AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_PROFILE=p
    AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
    AWS_ENDPOINT_URL_KMS=https://127.0.0.1:9)
SEAL_KMS=("$E" seal --sign-key awskms:///alias/sender --to "$K/alice.pub" -o kms.env proc.json)
# dead NAME PID...: passes if each pid has exited (gone, or a zombie nobody
# reaped yet). A SIGKILL reaches a process that is not our child
# asynchronously: this waits for its exit on a pidfd, 20 s being a bound on
# a failure only.
dead() {
    local name=$1 why
    shift
    if why=$("$PY" - "$@" 2>&1 <<'PYEOF'
import os, select, sys
for pid in map(int, sys.argv[1:]):
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        continue
    p = select.poll()
    p.register(fd, select.POLLIN)
    if not p.poll(20000):
        sys.exit("pid %d still runs" % pid)
PYEOF
    ); then pass "$name"; else flunk "$name" "$why"; fi
}

cat >helper.sh <<'EOS'
echo '{"Version": 1, "AccessKeyId": "AKIASTARS", "SecretAccessKey": "********"}'
echo 'denied ******** and ****' >&2
exit 4
EOS
notty "${CREDS_ENV[@]}" "${SEAL_KMS[@]}"
failed "credential_process, a secret of '*' alone and an error: exit 3, its message" 3 \
    "credential_process of profile p \(.*aws.config line 2\): exit status 4: denied \*\*\*\*\*\*\*\* and \*\*\*\*\)$" \
    kms.env

# Closes its output, starts a child, and sleeps: killed at the deadline,
# with the child (it has a process group of its own without a terminal).
rm -f helper.pid helper.child
cat >helper.sh <<EOS
exec >&- 2>&-
sleep 1000 &
echo \$! >"$W/helper.child"
echo \$\$ >"$W/helper.pid"
wait
EOS
notty "${CREDS_ENV[@]}" ENVELOPE_CREDENTIAL_PROCESS_TIMEOUT_MS=2000 "${SEAL_KMS[@]}"
failed "credential_process that never ends: exit 3 at the deadline, named" 3 \
    "credential_process of profile p \(.*\): timed out: still running after 2000 ms \(ENVELOPE_CREDENTIAL_PROCESS_TIMEOUT_MS\), killed\)$" \
    kms.env
dead "credential_process that never ends: it and its child are gone" \
    "$(cat helper.pid)" "$(cat helper.child)"

# SIGTERM while the command runs: the CLI ends it and its child before it
# dies of the signal itself, leaving nothing; not at the command's deadline
# (120 s here), which would end them too.
rm -f helper.pid helper.child
cat >helper.sh <<EOS
sleep 1000 &
echo \$! >"$W/helper.child"
echo \$\$ >"$W/helper.pid.tmp" && mv "$W/helper.pid.tmp" "$W/helper.pid"
wait
EOS
setsid "${CREDS_ENV[@]}" ENVELOPE_CREDENTIAL_PROCESS_TIMEOUT_MS=120000 "${SEAL_KMS[@]}" \
    >"$OUT" 2>"$ERR" </dev/null &
seal_pid=$!
for _ in $(seq 1 600); do [ -s helper.pid ] && break; sleep 0.1; done
t0=$(date +%s)
kill -TERM "$seal_pid"
wait "$seal_pid"
rc=$?
took=$(($(date +%s) - t0))
check "SIGTERM during credential_process: the CLI dies of it at once (exit $rc, want 143; $took s), no output" \
    test "$rc" -eq 143 -a "$took" -lt 100 -a ! -e kms.env -a -s helper.pid
dead "SIGTERM during credential_process: the command and its child are gone" \
    "$(cat helper.pid)" "$(cat helper.child)"

# Writes for ever on stdout: cut at the 64 KiB cap, not at the deadline.
rm -f helper.pid
printf 'echo $$ >"%s/helper.pid"\nexec yes\n' "$W" >helper.sh
notty "${CREDS_ENV[@]}" ENVELOPE_CREDENTIAL_PROCESS_TIMEOUT_MS=3600000 "${SEAL_KMS[@]}"
failed "credential_process printing for ever: exit 3 at the cap" 3 \
    "credential_process of profile p \(.*\): printed more than 65536 bytes\)$" kms.env
dead "credential_process printing for ever: it is gone" "$(cat helper.pid)"

notty "${CREDS_ENV[@]}" ENVELOPE_CREDENTIAL_PROCESS_TIMEOUT_MS=soon "${SEAL_KMS[@]}"
failed "ENVELOPE_CREDENTIAL_PROCESS_TIMEOUT_MS malformed: refused, named" 2 \
    "ENVELOPE_CREDENTIAL_PROCESS_TIMEOUT_MS=soon: not a number from 1 to 3600000" kms.env

# With a terminal the command stays in its foreground process group: an
# MFA prompt on /dev/tty is answered, not stopped by SIGTTIN.
cat >helper.sh <<EOS
printf 'MFA code: ' >/dev/tty
read code </dev/tty
echo "\$code" >"$W/helper.code"
echo '{"Version": 1, "AccessKeyId": "AKIAMFA", "SecretAccessKey": "mfa/secret/value"}'
EOS
rm -f helper.code
run $PY "$HERE/pty_run.py" --answer "MFA code: " 123456 -- \
    "${CREDS_ENV[@]}" ENVELOPE_CREDENTIAL_PROCESS_TIMEOUT_MS=20000 "${SEAL_KMS[@]}"
name="credential_process with a terminal: its prompt on /dev/tty is answered"
if [ "$(cat helper.code 2>/dev/null)" = 123456 ] && [ "$rc" -eq 3 ] &&
    ! grep -q "timed out" "$OUT" && grep -q "127.0.0.1:9" "$OUT" && ! [ -e kms.env ]; then
    pass "$name"
else
    flunk "$name" "exit $rc, code read '$(cat helper.code 2>/dev/null)'; terminal: $(tail -c 300 "$OUT")"
fi

# No core dumps: the limit is 0 and the process is not dumpable, which makes
# the kernel give its /proc files to root. So the process runs as another
# user (nobody, when the tests run as root), from a copy in a directory it
# may enter (the build directory may be under a private one), reading a
# FIFO that the test holds open: once the CLI has the FIFO open, main() has
# begun. The test opens its end read-write, which never blocks, so a CLI
# that could not start fails the check instead of hanging it.
D=$(mktemp -d "${TMPDIR:-/tmp}/envelope-fifo.XXXXXX") && chmod 755 "$D" && mkfifo -m 666 "$D/in"
cp "$E" "$(dirname "$E")/libenvelope.so.1" "$D/"
as_user=()
[ "$(id -u)" -eq 0 ] && as_user=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
"${as_user[@]}" "$D/envelope" inspect "$D/in" >"$OUT" 2>"$ERR" &
pid=$!
exec 3<>"$D/in"
for _ in $(seq 1 600); do
    ls -l "/proc/$pid/fd" 2>/dev/null | grep -qF -- "$D/in" && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
done
limits=$(grep "^Max core file size" "/proc/$pid/limits")
owner=$(stat -c %u "/proc/$pid/status")
uid=$(awk '/^Uid:/ {print $2}' "/proc/$pid/status")
exec 3>&-
wait "$pid"
rc=$?
rm -rf "$D"
if [[ "$limits" =~ ^Max\ core\ file\ size\ +0\ +0\ +bytes ]]; then
    pass "the CLI allows no core file"
else
    flunk "the CLI allows no core file" "/proc/$pid/limits: $limits"
fi
if [ "$uid" != 0 ] && [ "$owner" = 0 ]; then
    pass "the CLI is not dumpable (its /proc files belong to root)"
else
    flunk "the CLI is not dumpable (its /proc files belong to root)" \
        "uid $uid, /proc/$pid/status owned by $owner"
fi
failed "the CLI reading an empty FIFO: exit 1" 1 "not an envelope \(empty input\)"
