# SPDX-License-Identifier: BSD-3-Clause
# Harness of the systemd suite (tests/systemd/tNN-*.t): sourced by scripts that .ci/systemd.sh
# runs as root INSIDE a booted Debian 13 guest (systemd as PID 1), against the installed
# package and the guest's real ssh.service, systemd-logind, dbus and user@.service. On top of
# tests/e2e/lib.sh (TAP, users, cleanup at exit): the PAM stacks as the docs give them, the
# installed nsbox.conf, journald marks, ssh to the real sshd on 127.0.0.1:22. The guest is
# throwaway (an overlay), but every file changed here is put back at exit all the same.
#
#     . "$(dirname "$0")/lib.sh"
#     sd_require_guest
. "$(dirname "${BASH_SOURCE[0]}")/../e2e/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/../e2e/common.sh"

SD_CONF=/etc/security/nsbox.conf
SD_VENDOR_USER_STACK=/usr/lib/pam.d/systemd-user

# sd_require_guest : skips (fails under CI) unless systemd is PID 1 here, the package is
# installed and ssh.service runs; points the ssh helpers at the real sshd
sd_require_guest() {
	nsbox_require_root
	[ -d /run/systemd/system ] || skip_all "systemd is not PID 1 here (run through .ci/systemd.sh)"
	dpkg-query -W -f='${Status}' pam-nsbox 2>/dev/null | grep -q 'install ok installed' ||
		skip_all "the pam-nsbox package is not installed"
	systemctl is-active -q ssh.service || skip_all "ssh.service is not running"
	NSBOX_SSH_PORT=22
	SD_HOST_NET=$(readlink /proc/1/ns/net)
	SD_HOST_PID=$(readlink /proc/1/ns/pid)
	_sd_save "$SD_CONF"
	_sd_save /etc/pam.d/sshd
	_sd_save /etc/pam.d/systemd-user
}

# A file as it was before the script, put back at exit (a file that did not exist is removed).
_sd_saved=()
_sd_save() {
	local f=$1 k=${1//\//_}
	[[ " ${_sd_saved[*]} " == *" $f "* ]] && return 0
	_sd_saved+=("$f")
	mkdir -p "$NSBOX_T/saved"
	if [ -e "$f" ]; then
		cp -a "$f" "$NSBOX_T/saved/$k"
		nsbox_at_exit "cp -a '$NSBOX_T/saved/$k' '$f'"
	else
		nsbox_at_exit "rm -f '$f'"
	fi
}
_sd_orig() { cat "$NSBOX_T/saved/${1//\//_}"; } # the saved content of $1

# sd_conf CONTENT : the installed /etc/security/nsbox.conf
sd_conf() {
	printf '%s\n' "$1" >"$SD_CONF.nsbt" && chmod 0644 "$SD_CONF.nsbt" && mv -f "$SD_CONF.nsbt" "$SD_CONF" ||
		nsbox_die "harness: cannot write $SD_CONF"
}

# sd_profile PROFILE [MORE] : nsbox.conf with [defaults] profile = PROFILE (and MORE lines)
sd_profile() {
	sd_conf "[defaults]
profile = $1
${2:-}"
}

# sd_stacks HOW : the PAM stacks of sshd and the user manager.
#   on     Debian's stock sshd stack with the two lines the docs give (leave first, the box
#          last), and the user manager's stack with the box line (a boxed user's is refused)
#   off    the same sshd stack; the user manager's stock stack (the hole the docs close)
#   early  the box line before "@include common-session" (wrong), no leave line; stock manager
sd_stacks() {
	local sshd
	sshd=$(_sd_orig /etc/pam.d/sshd)
	case $1 in
	on | off)
		sshd=$(awk 'BEGIN { done = 0 }
			!done && $1 == "session" { print "session    optional     pam_nsbox.so leave"; done = 1 }
			{ print }' <<<"$sshd")
		sshd+=$'\nsession    required     pam_nsbox.so' ;;
	early)
		sshd=$(awk '/^@include common-session/ { print "session    required     pam_nsbox.so" } { print }' <<<"$sshd") ;;
	*) nsbox_die "harness: sd_stacks on|off|early" ;;
	esac
	printf '%s\n' "$sshd" >/etc/pam.d/sshd
	if [ "$1" = on ]; then
		{ cat "$SD_VENDOR_USER_STACK"; echo "session  required pam_nsbox.so"; } >/etc/pam.d/systemd-user
	else
		rm -f /etc/pam.d/systemd-user
	fi
}

# sd_user NAME : a test user (nsbt-*) the harness's key logs in as through the real sshd; at
# exit its lingering is off and its manager and sessions ended before it is deleted
sd_user() {
	local u=$1 h
	nsbox_add_user "$u"
	_nsbox_ssh_keys
	h=$(getent passwd "$u" | cut -d: -f6)
	install -d -m 0700 -o "$u" -g "$u" "$h/.ssh"
	install -m 0600 -o "$u" -g "$u" "$NSBOX_SSH_KEY.pub" "$h/.ssh/authorized_keys"
	nsbox_at_exit "sd_user_end $u"
}
sd_user_end() {
	local u=$1 uid
	uid=$(id -u "$u" 2>/dev/null) || return 0
	loginctl disable-linger "$u" 2>/dev/null
	loginctl terminate-user "$u" 2>/dev/null
	systemctl stop "user@$uid.service" 2>/dev/null
	nsbox_wait "[ -z \"\$(nsbox_user_procs $u)\" ]" 20
	return 0
}

# sd_ssh USER [SSH-OPTS...] -- CMD : ssh USER@127.0.0.1 to the guest's ssh.service
sd_ssh() { nsbox_ssh "$@"; }

# journald: sd_log_mark prints a cursor, sd_log_since CURSOR [JOURNALCTL-ARGS...] what came after
sd_log_mark() { journalctl -q -n 0 --show-cursor | sed -n 's/^-- cursor: //p'; }
sd_log_since() {
	local c=$1
	shift
	journalctl -q --no-pager -o short --after-cursor "$c" "$@"
}

# The live records' ids under the real /run/nsbox.
sd_boxes() { ls /run/nsbox/boxes 2>/dev/null | grep -E '^[0-9a-f]{8}$' || true; }

# sd_user_manager_state USER : user@UID.service's ActiveState
sd_user_manager_state() { systemctl show -P ActiveState "user@$(id -u "$1").service"; }
