#!/bin/sh
# The pathological-input test once more, natively: under valgrind (the
# unit test run) its CPU time and memory bounds measure valgrind and are
# not asserted, here they are.
test_bin=${top_builddir:-.}/tests/unit/test-bounce-pathological
if [ ! -x "$test_bin" ]; then
	echo "SKIP: $test_bin not built (cmocka missing?)"
	exit 77
fi
exec "$test_bin"
