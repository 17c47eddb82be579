#!/usr/bin/perl
# bench-sisimai.pl [-r ROUNDS] [-t MIN_MSECS] FILE...: Sisimai's messages
# per CPU second
# over the same files bench-classify reads, as the reference the
# classifier is compared to. Like bench-classify, the files are read into
# memory first and only the analysis is timed; each round is as many
# passes over all files as fit in MIN_MSECS of CPU (at least one: the
# CPU clock counts in 10 ms ticks, so a round of one 0.2 s pass is only
# good to 5%), and the median round is reported. Sisimai->make() is given a
# reference to the message text (its in-memory reader), so no file I/O is
# in the loop.
use strict;
use warnings;
use Getopt::Std;
use Sisimai;

my %opt = (r => 3, t => 0);
my $usage = "usage: $0 [-r ROUNDS] [-t MIN_MSECS] FILE...\n";
getopts('r:t:', \%opt) or die $usage;
die $usage unless @ARGV;

my @messages;
for my $path (@ARGV) {
    open(my $fh, '<:raw', $path) or die "open($path) failed: $!\n";
    local $/;
    push @messages, scalar <$fh>;
    close $fh;
}

sub cpu_seconds { my @t = times; return $t[0] + $t[1]; }

sub one_pass {
    my $recipients = 0;
    for my $text (@messages) {
        my $list = Sisimai->make(\$text);
        $recipients += scalar @$list if $list;
    }
    return $recipients;
}

# warm-up: Sisimai loads its format modules lazily on first use
my $recipients = one_pass();
my @rates;
for (1 .. $opt{r}) {
    my $start = cpu_seconds();
    my ($passes, $elapsed) = (0, 0);
    do {
        one_pass();
        $passes++;
        $elapsed = cpu_seconds() - $start;
    } while ($elapsed < $opt{t} / 1000);
    $elapsed = 1e-6 if $elapsed <= 0;
    push @rates, $passes * scalar(@messages) / $elapsed;
}
@rates = sort { $a <=> $b } @rates;
my $median = @rates % 2 ? $rates[$#rates / 2] :
    ($rates[@rates / 2 - 1] + $rates[@rates / 2]) / 2;
printf "sisimai %s: %d messages, %d recipients found, rounds %d\n",
    $Sisimai::VERSION // '?', scalar @messages, $recipients, $opt{r};
printf "sisimai   median %10.0f msg/s  (min %.0f, max %.0f)\n",
    $median, $rates[0], $rates[-1];
printf "RESULT sisimai_version=%s sisimai_msgs_per_sec=%.1f\n",
    $Sisimai::VERSION // '?', $median;
