#!/usr/bin/env bash
# Runs every shell block of docs/TUTORIAL.md (or of DOC), in order, each
# with the credentials its <!-- as: ROLE --> comment names, against the KMS
# test server (started here, stopped on exit). One line per block, then
# "N passed, M failed". Usage: run.sh BUILD_DIR [DOC]
set -uo pipefail
build=$(cd "${1:?usage: run.sh BUILD_DIR [DOC]}" && pwd)
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
doc=${2:-$top/docs/TUTORIAL.md}
work=$(mktemp -d "${TMPDIR:-/tmp}/envelope-tutorial.XXXXXX")
state=$work/state
kmsctl=$top/tests/kms-server/kmsctl.sh
trap '"$kmsctl" stop "$state" >/dev/null 2>&1; rm -rf "$work"' EXIT

mkdir -p "$work/bin" "$work/blocks" "$work/home" "$work/run"
ln -s "$build/envelope" "$work/bin/envelope"
cp "$top/tests/demo/message.json" "$work/run/message.json"
/usr/bin/python3 "$top/tests/tutorial/extract.py" "$doc" "$work/blocks" \
    > "$work/blocks.txt" || { echo "0 passed, 1 failed"; exit 1; }
ep=$("$kmsctl" start "$state") ||
    { echo "FAIL KMS test server did not start (kmsctl's reason above)"; echo "0 passed, 1 failed"; exit 1; }

# Nothing from the machine's own AWS set-up: only what each role is given.
unset AWS_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN \
    AWS_ENDPOINT_URL AWS_DEFAULT_REGION AWS_USE_FIPS_ENDPOINT
export HOME=$work/home AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
export AWS_EC2_METADATA_DISABLED=true AWS_PAGER="" AWS_REGION=us-east-1
export PATH=$work/bin:$PATH TEST_KMS_ENDPOINT=$ep TEST_KMS_CA=$state/ca.pem

# role NAME: prints "export ..." lines for that principal's credentials.
role_env() {
    /usr/bin/python3 - "$top/tests/kms-server/principals.json" "$1" <<'PY'
import json, shlex, sys
principals = {p["name"]: p for p in json.load(open(sys.argv[1]))["principals"]}
p = principals.get(sys.argv[2])
if p is None:  # "nobody" in the tutorial's sense: no AWS credentials at all
    print("unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY")
else:
    print("export AWS_ACCESS_KEY_ID=" + shlex.quote(p["access_key_id"]))
    print("export AWS_SECRET_ACCESS_KEY=" + shlex.quote(p["secret_access_key"]))
PY
}

passed=0 failed=0
while read -r n role first; do
    {
        role_env "$( [ "$role" = nobody ] && echo none || echo "$role")"
        # awscli 2.9 ignores AWS_ENDPOINT_URL*: point it at the test server.
        echo 'aws() { /usr/bin/aws --endpoint-url "$TEST_KMS_ENDPOINT" --ca-bundle "$TEST_KMS_CA" "$@"; }'
        if [ "$role" != nobody ]; then
            echo 'export AWS_ENDPOINT_URL_KMS=$TEST_KMS_ENDPOINT AWS_CA_BUNDLE=$TEST_KMS_CA'
        fi
        echo 'set -euo pipefail'
        cat "$work/blocks/$n.sh"
    } > "$work/block.sh"
    rc=0
    (cd "$work/run" && bash "$work/block.sh") > "$work/out" 2>&1 || rc=$?
    if [ $rc -eq 0 ]; then
        echo "ok   block $n (as $role): $first"; passed=$((passed + 1))
    else
        echo "FAIL block $n (as $role): $first"; failed=$((failed + 1))
        echo "     exit status $rc; the block's last lines of output:"
        sed 's/^/     | /' "$work/out" | tail -n 12 | cat -v
    fi
done < "$work/blocks.txt"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
