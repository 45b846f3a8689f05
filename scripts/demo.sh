#!/usr/bin/env bash
# The main job on a fresh machine (Debian 12, root): provision a real container on this machine,
# log in to it with the command lxc-wizard prints, then destroy it.
#
# - Its image: a Debian origin container, lxcw-demo-origin, made once (debootstrap from Debian's
#   mirror: about 90 s the first time) and kept for the next runs (lxc-destroy -n lxcw-demo-origin
#   removes it). The VM is an overlayfs snapshot clone of it: instant.
# - Safe to run twice at once: every name is this run's own (the VM, its bridge and network, the
#   pillar, the state), and the cleanup removes only what this run made.
# - Left out: the salt steps (this machine has no salt master) and the ssh forward (it needs node
#   setup, which this demo does not run on your machine). The node is `localhost`: the controller
#   is the node, so the way in is the VM's own address.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "demo: run as root (LXC needs it)" >&2; exit 2; }
t0=$(date +%s)
if ! command -v lxc-create >/dev/null || [ ! -e /usr/share/lxc/templates/lxc-debian ] || ! command -v debootstrap >/dev/null || ! command -v ssh >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends lxc lxc-templates debootstrap rsync xz-utils iproute2 openssh-client
fi
[ -f dist/bundle/cli.mjs ] || npm run build
mkdir -p /run/lock
ORIGIN=lxcw-demo-origin
VM="demo$$.example.test"
BR="lxcwd$$"
work=$(mktemp -d)
made_bridge=
cleanup() {
  # only what this run made: its VM, its bridge, its files
  if lxc-info -n "$VM" >/dev/null 2>&1; then
    ./bin/lxc-wizard.js destroy "$VM" --pillar "$work/lxc.sls" --yes >/dev/null 2>&1 || lxc-destroy -f -n "$VM"
  fi
  [ -z "$made_bridge" ] || ip link del "$BR" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
if lxc-info -n "$VM" >/dev/null 2>&1; then
  echo "demo: a container $VM already exists; it is not the demo's to use or remove" >&2
  exit 1
fi

# The origin: made once, under a lock (two demos at once make it once), kept for the next runs.
(
  flock 9
  if ! lxc-info -n "$ORIGIN" >/dev/null 2>&1; then
    echo "demo: making the Debian origin $ORIGIN once (debootstrap: about 90 s; later runs reuse it)" >&2
    lxc-create -n "$ORIGIN" -t debian -- -r bookworm >"$work/origin.log" 2>&1 || { tail -20 "$work/origin.log" >&2; exit 1; }
  fi
) 9>/run/lock/lxc-wizard-demo-origin.lock

# This run's bridge, on a /24 no other interface of this machine uses (chosen under a lock).
exec 8>/run/lock/lxc-wizard-demo-net.lock
flock 8
for n in $(seq 1 250); do
  ip -4 -o addr show | grep -q " inet 10\.88\.$n\." || { NET=10.88.$n; break; }
done
[ -n "${NET:-}" ] || { echo "demo: no free 10.88.N.0/24 network for the demo's bridge" >&2; exit 1; }
ip link add "$BR" type bridge && made_bridge=1
ip addr add "$NET.1/24" dev "$BR"
ip link set "$BR" up
flock -u 8

export XDG_STATE_HOME="$work/state"
W=./bin/lxc-wizard.js
cat >"$work/lxc.sls" <<EOF
# the demo's pillar: its own bridge and network, the Debian origin
makina-states.cloud.lxc.defaults.bridge: $BR
makina-states.cloud.lxc.defaults.network: $NET.0
makina-states.cloud.lxc.defaults.netmask: 24
makina-states.cloud.lxc.defaults.gateway: $NET.1
makina-states.cloud.lxc.defaults.dnsservers: [$NET.1]
EOF
ssh-keygen -q -t ed25519 -N '' -f "$work/key"
set -x
$W add localhost "$VM" --pillar "$work/lxc.sls" --env dev --profile-type overlayfs --from-container "$ORIGIN"
$W --yes --pillar "$work/lxc.sls" --env dev --ssh-pubkey "$work/key.pub" --only spawn,hostsfile,sshkeys,grains --no-salt --json >"$work/run.json"
$W settings localhost "$VM" --pillar "$work/lxc.sls" --env dev
set +x
way=$(node -e 'const d = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); process.stdout.write(d.vms[0].waysIn[0])' "$work/run.json")
echo "demo: the way in lxc-wizard printed: $way"
# as printed, non-interactively (the VM's host key is new to this machine)
# shellcheck disable=SC2086
answer=$(ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null ${way#ssh } hostname)
echo "demo: logged in; the VM says its name is $answer"
[ "$answer" = "$VM" ]
set -x
$W destroy "$VM" --pillar "$work/lxc.sls" --forget --yes
set +x
echo "demo: done in $(($(date +%s) - t0)) s"
