#!/usr/bin/env bash
# make test: every check, then the summary.  Each step runs even when an
# earlier one failed, so one run shows everything; its result goes to
# build/results/checks.tsv (one row per "ok"/"FAIL" line a step prints, or
# one for the step), the KUnit results to build/results/scenarios.json, and
# tools/summary.py turns both into the last line, "N passed, N failed".
set -uo pipefail
. "$(dirname "$0")/lib.sh"

results=$BUILD/results
rm -rf "$results"
mkdir -p "$results"
: > "$results/checks.tsv"
start=$SECONDS

step() {	# name command...
	local name=$1 log rc t=$SECONDS
	shift
	log=$results/step-${name// /-}.log
	note "$name"
	"$@" > >(tee "$log") 2>&1
	rc=$?
	wait
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
if [ ! -d "$TREE" ]; then
	step tree "$TOP/tools/make-tree.sh"
fi
step "round trip" "$TOP/tools/check-roundtrip.sh"
step "bad inputs" "$TOP/tools/check-errors.sh"
for arch in x86_64 arm64; do
	step "build $arch" "$TOP/tools/build-kernel.sh" "$arch"
done
step "build fixes" "$TOP/tools/build-fixes.sh"
note "booting every scenario"
t=$SECONDS
"$TOP/tools/run-scenarios.py" --arch all
printf 'boot\t%d\n' $((SECONDS - t)) >> "$results/times.tsv"
# One round on one boot per arch: make bench works, not how fast anything is.
step "bench smoke" "$TOP/tools/bench.py" --rounds 1 \
	--boot x86_64-intel-iommu-lazy,arm64-smmuv3-lazy
step "per-patch checks" "$TOP/tools/check-patches.sh"
step "cocci scripts" "$TOP/tools/check-cocci-scripts.sh"
step coccicheck "$TOP/tools/check-cocci.sh"
note "seconds per step: $(tr '\t\n' '= ' < "$results/times.tsv")"
note "make test took $(( (SECONDS - start) / 60 )) min $(( (SECONDS - start) % 60 )) s"
exec "$TOP/tools/summary.py"
