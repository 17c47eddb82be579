#!/bin/sh
# Build the libFuzzer target if needed, replay the committed reproducers,
# then fuzz for FUZZ_SECONDS (default 60, as part of make check) seeded
# with every test message in tests/mail. Exit 77 (skip) only if clang
# can't build a fuzzer here; any finding fails the run.
#
#   FUZZ_SECONDS  how long to fuzz (make fuzz: 300)
#   FUZZ_ARGS     more libFuzzer options
#   MAKE, FUZZ_CC as usual

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
seconds=${FUZZ_SECONDS:-60}
fuzz_dir=$top_builddir/tests/fuzz
target=$fuzz_dir/fuzz-bounce-analyze

probe=$(mktemp -d "${TMPDIR:-/tmp}/bounce-fuzz-probe.XXXXXX") || exit 1
trap 'rm -rf "$probe"' 0 1 2 3 15
cat > "$probe/probe.c" <<'PROBE'
#include <stddef.h>
#include <stdint.h>
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{ (void)data; (void)size; return 0; }
PROBE
if ! ${FUZZ_CC:-clang} -fsanitize=fuzzer,address,undefined \
		-o "$probe/probe" "$probe/probe.c" >/dev/null 2>&1; then
	echo "SKIP: ${FUZZ_CC:-clang} with the libFuzzer runtime is not available" \
		"(apt-get install clang libclang-rt-14-dev)"
	exit 77
fi

# a make of its own: the jobserver of a parallel make check does not
# reach through the test driver
MAKEFLAGS= ${MAKE:-make} -C "$top_builddir" fuzz-build || exit 1

# the seeds are globbed now: every sample message anyone added
rm -rf "$fuzz_dir/seeds"
mkdir -p "$fuzz_dir/seeds" "$fuzz_dir/corpus" "$fuzz_dir/artifacts"
find "$top_srcdir/tests/mail" "$top_srcdir/tests/fuzz/regress" \
	-type f -name '*.eml' 2>/dev/null | while read -r f; do
	cp "$f" "$fuzz_dir/seeds/$(echo "${f#$top_srcdir/tests/}" | tr / _)"
done
echo "seeds: $(ls "$fuzz_dir/seeds" | wc -l) test messages"

# bugs found earlier must stay fixed, whatever the fuzzer does next
regress=$(find "$top_srcdir/tests/fuzz/regress" -type f 2>/dev/null)
if [ -n "$regress" ]; then
	"$target" -rss_limit_mb=2048 -timeout=10 $regress || exit 1
fi

# one worker: the machines this runs on are small and shared.
# -timeout: one input taking 10 s is a hang; -rss_limit_mb: ASan's own
# overhead included, a bounded parser stays far below it.
"$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
	-max_len=65536 -dict="$top_srcdir/tests/fuzz/bounce.dict" \
	-artifact_prefix="$fuzz_dir/artifacts/" -print_final_stats=1 \
	$FUZZ_ARGS "$fuzz_dir/corpus" "$fuzz_dir/seeds"
