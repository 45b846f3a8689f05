#!/usr/bin/env bash
# The main job on a fresh machine (Debian 12, root): install LXC if missing, make the bridge the
# seed uses (lxcbr1, 10.5.0.1/16) if missing, then with a throw-away pillar: add a VM, provision
# it with --yes, show its settings, destroy it. Uses the busybox template (a second to create),
# so the salt steps are left out (--only, --no-salt): busybox has no chpasswd for initial_setup, and
# this machine has no salt master to accept a minion key. The reverse proxy is left out too: it
# needs node setup, which changes this machine for good (see README, "Node setup").
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "demo: run as root (LXC needs it)" >&2; exit 2; }
if ! command -v lxc-create >/dev/null || ! command -v busybox >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends lxc busybox-static iproute2
fi
[ -f dist/bundle/cli.mjs ] || npm run build
if lxc-info -n demo01.example.test >/dev/null 2>&1; then
  echo "demo: a container demo01.example.test already exists; it is not the demo's to remove (lxc-destroy -f -n demo01.example.test)" >&2
  exit 1
fi
if ! ip link show lxcbr1 >/dev/null 2>&1; then
  ip link add lxcbr1 type bridge && ip addr add 10.5.0.1/16 dev lxcbr1
  made_bridge=1
fi
ip link set lxcbr1 up
work=$(mktemp -d)
cleanup() {
  # a failed step must not leave the demo's container behind
  if lxc-info -n demo01.example.test >/dev/null 2>&1; then
    ./bin/lxc-wizard.js destroy demo01.example.test --pillar "$work/lxc.sls" --yes >/dev/null 2>&1 || lxc-destroy -f -n demo01.example.test
  fi
  [ -n "${made_bridge:-}" ] && ip link del lxcbr1
  rm -rf "$work"
}
trap cleanup EXIT
W=./bin/lxc-wizard.js
printf '# demo pillar\n' > "$work/lxc.sls"
ssh-keygen -q -t ed25519 -N '' -f "$work/key"
set -x
$W add localhost demo01.example.test --pillar "$work/lxc.sls" --profile-type dir-scratch --image busybox
$W --yes --pillar "$work/lxc.sls" --ssh-pubkey "$work/key.pub" --only spawn,hostsfile,sshkeys,grains --no-salt
$W settings localhost demo01.example.test --pillar "$work/lxc.sls"
lxc-attach -n demo01.example.test -- cat /etc/hosts
$W destroy demo01.example.test --pillar "$work/lxc.sls" --forget --yes
