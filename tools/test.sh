#!/usr/bin/env bash
# make test: every check, then the summary.  Each step runs even when an
# earlier one failed, so one run shows everything; its result goes to
# build/results/checks.tsv (one row per "ok"/"FAIL" line a step prints, or
# one for the step), the KUnit results to build/results/scenarios.json, and
# tools/summary.py turns both into the last line, "N passed, N failed".
#
# TEST_BUDGET (seconds, default 80 minutes, under CI's 90) bounds the whole
# run: a step still running when it ends is stopped and fails as "over the
# time budget", the steps after it fail unrun, and the summary line still
# comes.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

results=$BUILD/results
rm -rf "$results"
mkdir -p "$results"
: > "$results/checks.tsv"
start=$SECONDS
deadline=$((SECONDS + ${TEST_BUDGET:-4800}))

step() {	# name command...
	local name=$1 log rc t=$SECONDS
	shift
	log=$results/step-${name// /-}.log
	note "$name"
	if [ $SECONDS -ge $deadline ]; then
		echo "FAIL $name: not run, the time budget (TEST_BUDGET) is spent" | tee "$log"
		printf '%s\t0\n' "$name" >> "$results/times.tsv"
		printf '%s\tfail\n' "$name" >> "$results/checks.tsv"
		return 1
	fi
	timeout -k 10 $((deadline - SECONDS)) "$@" > >(tee "$log") 2>&1
	rc=$?
	wait
	if [ $rc = 124 ] || [ $rc = 137 ]; then
		echo "FAIL $name: over the time budget (TEST_BUDGET), stopped after $((SECONDS - t)) s" |
			tee -a "$log"
	fi
	printf '%s\t%d\n' "$name" $((SECONDS - t)) >> "$results/times.tsv"
	if grep -qE '^(ok|FAIL) ' "$log"; then
		grep -E '^(ok|FAIL) ' "$log" | sed -E "s/^(ok|FAIL) +/\1\t$name: /" |
			awk -F'\t' '{print $2 "\t" ($1 == "ok" ? "pass" : "fail")}' >> "$results/checks.tsv"
		# a step that failed without saying which check did
		[ $rc = 0 ] || grep -q '^FAIL ' "$log" ||
			printf '%s\tfail\n' "$name" >> "$results/checks.tsv"
	else
		printf '%s\t%s\n' "$name" "$([ $rc = 0 ] && echo pass || echo fail)" >> "$results/checks.tsv"
	fi
	return $rc
}

step deps "$TOP/tools/deps.sh"
step base "$TOP/tools/fetch-base.sh"
step tree "$TOP/tools/make-tree.sh"
step "round trip" "$TOP/tools/check-roundtrip.sh"
step "harness unit tests" "$TOP/tools/test-harness.py"
step "bad inputs" "$TOP/tools/check-errors.sh"
for arch in $ARCH_LIST; do
	step "build $arch" "$TOP/tools/build-kernel.sh" "$arch"
done
step "build fixes" "$TOP/tools/build-fixes.sh"
# A LAVA job per scenario, each checked against lava-common's schema.
step "lava jobs" /usr/bin/python3 "$TOP/tools/lava.py"
# The boots' results are the KUnit cases of scenarios.json, not check lines.
note "booting every scenario"
t=$SECONDS
if [ $SECONDS -lt $deadline ]; then
	timeout -k 10 $((deadline - SECONDS)) "$TOP/tools/run-scenarios.py" --arch all
	[ $? != 124 ] || printf 'boot\tfail\n' >> "$results/checks.tsv"
else
	printf 'boot\tfail\n' >> "$results/checks.tsv"
fi
printf 'boot\t%d\n' $((SECONDS - t)) >> "$results/times.tsv"
# One round on one boot per arch: make bench works, not how fast anything is.
# It boots the sanitized kernels built above, not make bench's own.
step "bench smoke" "$TOP/tools/bench.py" --rounds 1 --flavour test \
	--boot x86_64-intel-iommu-lazy,arm64-smmuv3-lazy
step "per-patch checks" "$TOP/tools/check-patches.sh"
step "cocci scripts" "$TOP/tools/check-cocci-scripts.sh"
step coccicheck "$TOP/tools/check-cocci.py"
note "seconds per step: $(tr '\t\n' '= ' < "$results/times.tsv")"
note "make test took $(( (SECONDS - start) / 60 )) min $(( (SECONDS - start) % 60 )) s"
exec "$TOP/tools/summary.py"
