#!/usr/bin/perl
# tcpc-bench-poe.pl: the Perl POE peer of the benchmark client
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
#   tcpc-bench-poe.pl MODE HOST PORT COUNT
#
# The command-line contract of tcpc-bench-client (issue 3, see ../README.md),
# with the component tcpclient's API follows: POE::Component::Client::TCP
# and POE::Filter::Line with the literal terminator "\n". The ServerInput
# callback only counts (stream), puts the next ping (pingpong) or asks for
# the next connection with the component's `reconnect` event (connect).
#
#   stream    count "\n"-terminated lines until end of stream
#             -> lines=<n> bytes=<b> seconds=<s>  (bytes include the newlines)
#   pingpong  a 32-byte line and its echo, COUNT times on one connection
#             -> roundtrips=<n> seconds=<s>
#   connect   COUNT times: connect, read one line, close
#             -> connections=<n> seconds=<s>
#
# Seconds are measured (Time::HiRes, monotonic clock) from before the first
# connect. The exit status is 0 only when the count matches, 1 on any
# failure, 2 for an unsupported mode. TCPC_BENCH_TIMEOUT (seconds, default
# 60) bounds the whole run. Needs POE (Debian: libpoe-perl).

use strict;
use warnings;

use Time::HiRes qw(clock_gettime CLOCK_MONOTONIC);
use POE qw(Component::Client::TCP Filter::Line);

my $NAME = 'tcpc-bench-poe.pl';
my $PING = '0123456789abcdef0123456789abcde';    # 31 bytes; the filter adds "\n"
my %MODES = map { $_ => 1 } qw(stream pingpong connect);

my ($mode, $count);
my ($lines, $bytes, $done, $failed) = (0, 0, 0, 0);    # $done: round trips or connections

sub fail {
    my ($kernel, $what) = @_;
    print STDERR "$NAME: $what\n";
    $failed = 1;
    $kernel->yield('shutdown');
}

# The run is over: drop the timeout, so that the session can end.
sub finish {
    $_[KERNEL]->delay('bench_timeout');
}

my %server_input = (
    stream => sub {
        $lines++;
        $bytes += length($_[ARG0]) + 1;
    },
    pingpong => sub {
        if (++$done < $count) {
            $_[HEAP]{server}->put($PING);
        } else {
            $_[KERNEL]->yield('shutdown');
        }
    },
    connect => sub {
        $_[HEAP]{answered} = 1;
        if (++$done < $count) {
            $_[KERNEL]->yield('reconnect');
        } else {
            $_[KERNEL]->yield('shutdown');
        }
    },
);

sub main {
    if (@ARGV != 4) {
        print STDERR "usage: $NAME stream|pingpong|connect HOST PORT COUNT\n";
        return 2;
    }
    my ($host, $port);
    ($mode, $host, $port, $count) = @ARGV;
    if (!$MODES{$mode}) {
        print STDERR "$NAME: unsupported mode \"$mode\"\n";
        return 2;
    }
    if ($port !~ /^[0-9]+$/ || $port < 1 || $port > 65535 || $count !~ /^[0-9]+$/) {
        print STDERR "$NAME: bad PORT or COUNT\n";
        return 1;
    }
    my $timeout = (($ENV{TCPC_BENCH_TIMEOUT} // '') =~ /^([0-9]+)/ && $1 > 0) ? $1 : 60;

    my $start = clock_gettime(CLOCK_MONOTONIC);
    if ($mode ne 'connect' || $count > 0) {
        POE::Component::Client::TCP->new(
            RemoteAddress => $host,
            RemotePort    => $port,
            Filter        => POE::Filter::Line->new(Literal => "\n"),
            Started       => sub {
                # End-of-stream is handled in ServerError below: with the
                # default, an EOF seen after a `reconnect` was queued would
                # queue a `shutdown` that drops the next connection attempt.
                $_[HEAP]{shutdown_on_error} = 0;
                $_[KERNEL]->delay(bench_timeout => $timeout);
            },
            Connected => sub {
                $_[HEAP]{answered} = 0;
                return if $mode ne 'pingpong';
                if ($count > 0) {
                    $_[HEAP]{server}->put($PING);
                } else {
                    $_[KERNEL]->yield('shutdown');
                }
            },
            ConnectError => sub {
                my ($operation, $errno, $message) = @_[ARG0 .. ARG2];
                print STDERR "$NAME: $operation: $message\n";
                $failed = 1;
                finish(@_);
            },
            ServerInput => $server_input{$mode},
            ServerError => sub {
                my ($operation, $errno, $message) = @_[ARG0 .. ARG2];
                if ($operation eq 'read' && $errno == 0) {
                    # End of stream: the end of a stream run, or a one-line
                    # connection whose reconnect or shutdown is queued.
                    if ($mode eq 'stream' || ($mode eq 'connect' && $_[HEAP]{answered})) {
                        $_[KERNEL]->yield('shutdown') if $mode eq 'stream';
                    } else {
                        fail($_[KERNEL], 'the server closed the connection early');
                    }
                    return;
                }
                fail($_[KERNEL], "$operation: $message");
            },
            Disconnected  => \&finish,
            InlineStates  => {
                bench_timeout => sub {
                    print STDERR "$NAME: timed out\n";
                    $failed = 1;
                    $_[KERNEL]->stop;
                },
            },
        );
    }
    POE::Kernel->run;
    my $seconds = sprintf '%.6f', clock_gettime(CLOCK_MONOTONIC) - $start;

    my $ok;
    if ($mode eq 'stream') {
        print "lines=$lines bytes=$bytes seconds=$seconds\n";
        $ok = $lines == $count;
    } elsif ($mode eq 'pingpong') {
        print "roundtrips=$done seconds=$seconds\n";
        $ok = $done == $count;
    } else {
        print "connections=$done seconds=$seconds\n";
        $ok = $done == $count;
    }
    return $ok && !$failed ? 0 : 1;
}

exit main();
