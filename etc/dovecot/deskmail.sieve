# deskmail.sieve - hand mail for support@ and support+KEY@ to deskmail
# (Dovecot Pigeonhole, with the vnd.dovecot.pipe extension of the
# sieve_extprograms plugin; see 90-sieve-deskmail.conf).
#
#     install -d /etc/dovecot/sieve
#     install -m 644 deskmail.sieve /etc/dovecot/sieve/
#     sievec /etc/dovecot/sieve/deskmail.sieve
#
# (the compiled deskmail.svbin must be made by root: the mail user cannot
# write to /etc/dovecot/sieve; run sievec again after every change).
#
# The pipe runs the program deskmail-deliver from sieve_pipe_bin_dir with
# the message on standard input, as the mail user (see the .conf for the
# group that lets it read deskmail's secret).  The arguments are the
# envelope: the recipient as given in RCPT TO (support+KEY@example.org,
# the reply key included) and the sender (empty for the null sender <>).
#
# Exit status: when deskmail-deliver exits 0 the message is deskmail's
# and is not stored in the mailbox (pipe cancels the implicit keep).  Any
# other exit status, 75 and 65 alike, makes the pipe action and the script
# fail, and Pigeonhole then performs the implicit keep: the message is
# filed in the INBOX of the mailbox it was delivered to, and the failure is
# logged.  Nothing is lost, but nothing is retried either: an operator
# must pass such messages to deskmail later (for example with
# `deskmail deliver --recipient support@example.org < MESSAGE-FILE`).
require ["vnd.dovecot.pipe", "envelope", "subaddress", "variables"];

if envelope :user "to" "support" {
	set "recipient" "";
	if envelope :matches "to" "*" {
		set "recipient" "${1}";
	}
	set "sender" "";
	if envelope :matches "from" "*" {
		set "sender" "${1}";
	}
	pipe "deskmail-deliver" ["--recipient=${recipient}", "--sender=${sender}"];
	stop;
}
