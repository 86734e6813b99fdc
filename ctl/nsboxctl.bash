# SPDX-License-Identifier: BSD-3-Clause
# bash completion for nsboxctl(8), installed as /usr/share/bash-completion/completions/nsboxctl
# (Debian's bash-completion loads it on first use). Box ids come from nsboxctl list, which only
# root may run: for anyone else they are simply not offered.

_nsboxctl_ids()
{
	nsboxctl list --json 2>/dev/null | grep -o '"id": *"[0-9a-f]*"' | grep -o '[0-9a-f]\{8\}'
}

_nsboxctl()
{
	local cur prev words cword
	_init_completion || return

	local cmds='check explain list show enter stop'
	if [[ $cword -eq 1 ]]; then
		COMPREPLY=($(compgen -W "$cmds --help --version" -- "$cur"))
		return
	fi
	case $prev in
	--user)
		COMPREPLY=($(compgen -u -- "$cur"))
		return
		;;
	--service)
		COMPREPLY=($(compgen -W "$(ls /etc/pam.d 2>/dev/null)" -- "$cur"))
		return
		;;
	--conf)
		_filedir
		return
		;;
	--rhost)
		_known_hosts_real -- "$cur"
		return
		;;
	esac
	case ${words[1]} in
	check)
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W '--user --service' -- "$cur"))
		else
			_filedir
		fi
		;;
	explain)
		COMPREPLY=($(compgen -W '--user --service --rhost --conf' -- "$cur"))
		;;
	list)
		[[ $cword -eq 2 ]] && COMPREPLY=($(compgen -W '--json' -- "$cur"))
		;;
	show)
		COMPREPLY=($(compgen -W "--json $(_nsboxctl_ids)" -- "$cur"))
		;;
	enter)
		if [[ $cword -eq 2 ]]; then
			COMPREPLY=($(compgen -W "$(_nsboxctl_ids)" -- "$cur"))
		else
			_command_offset 3
		fi
		;;
	stop)
		COMPREPLY=($(compgen -W "--wait --user --all $(_nsboxctl_ids)" -- "$cur"))
		;;
	esac
} &&
	complete -F _nsboxctl nsboxctl
