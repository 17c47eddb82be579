#!/usr/bin/perl
# bench-sisimai.pl [-r ROUNDS] FILE...: Sisimai's messages per CPU second
# over the same files bench-classify reads, as the reference the
# classifier is compared to. Like bench-classify, the files are read into
# memory first and only the analysis is timed; each round is one pass over
# all files, and the median round is reported. Sisimai->make() is given a
# reference to the message text (its in-memory reader), so no file I/O is
# in the loop.
use strict;
use warnings;
use Getopt::Std;
use Sisimai;

my %opt = (r => 3);
getopts('r:', \%opt) or die "usage: $0 [-r ROUNDS] FILE...\n";
die "usage: $0 [-r ROUNDS] FILE...\n" unless @ARGV;

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
    one_pass();
    my $elapsed = cpu_seconds() - $start;
    $elapsed = 1e-6 if $elapsed <= 0;
    push @rates, scalar(@messages) / $elapsed;
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
