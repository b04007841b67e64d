# tap.sh - a small TAP producer for the shell integration tests.
# Automake's tap-driver.sh counts every "ok"/"not ok" line.

TAP_N=0
TAP_FAILED=0

ok() { # ok CONDITION-EXIT-STATUS DESCRIPTION
	TAP_N=$((TAP_N + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $TAP_N - $2"
	else
		echo "not ok $TAP_N - $2"
		TAP_FAILED=$((TAP_FAILED + 1))
	fi
}

is() { # is ACTUAL EXPECTED DESCRIPTION
	TAP_N=$((TAP_N + 1))
	if [ "$1" = "$2" ]; then
		echo "ok $TAP_N - $3"
	else
		echo "not ok $TAP_N - $3"
		echo "#   got:      '$1'"
		echo "#   expected: '$2'"
		TAP_FAILED=$((TAP_FAILED + 1))
	fi
}

like() { # like ACTUAL GREP-PATTERN DESCRIPTION
	TAP_N=$((TAP_N + 1))
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		echo "ok $TAP_N - $3"
	else
		echo "not ok $TAP_N - $3"
		echo "#   got:      '$1'"
		echo "#   expected to match: '$2'"
		TAP_FAILED=$((TAP_FAILED + 1))
	fi
}

diag() { echo "# $*"; }

tap_done() {
	echo "1..$TAP_N"
	[ "$TAP_FAILED" -eq 0 ]
}

bail() {
	echo "Bail out! $*"
	exit 1
}
