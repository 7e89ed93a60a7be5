# dma-series: a Linux DMA-mapping patch series and the harness that builds it,
# boots it under QEMU and reads its KUnit results.  See README.md.
#
#   make run     build x86_64, boot its scenarios, print the results table
#   make test    everything: checks, both arches, every scenario
#   make mutants replay the deliberate breakages in configs/mutants.toml
#   make bench   time legacy mappings against mapping records (configs/bench.toml)
#   make lava    a LAVA job per scenario in build/lava (docs/lava.md)
#   make lava-check  one scenario per arch through lava-run, against make run
#
# Variables: ARCH (x86_64, arm64, ppc64le or all), SCENARIO (comma-separated names),
# KERNEL_SRC (your own kernel tree as the base), KVM=1 (use KVM, not TCG),
# FORCE=1 (make tree: discard build/linux), JOBS, CACHE_DIR.

SHELL := /bin/bash
export KERNEL_SRC KVM FORCE JOBS CACHE_DIR
ARCH_GIVEN := $(filter command line environment,$(origin ARCH))
SCENARIO ?=
# Without ARCH, the arch of the scenarios named, else x86_64.
ARCH ?= $(if $(SCENARIO),$(shell tools/run-scenarios.py --scenario "$(SCENARIO)" --arches 2>/dev/null),x86_64)
ARCHES = $(if $(filter all,$(ARCH)),x86_64 arm64 ppc64le,$(subst $(comma), ,$(ARCH)))
comma := ,

.PHONY: run test deps base tree export build boot summary check-roundtrip \
	check-patches check-cocci check-cocci-scripts build-fixes check-errors mutants \
	bench lava lava-check clean help

run: build
	@tools/run-scenarios.py --arch $(ARCH) --scenario "$(SCENARIO)"

test:
	@tools/test.sh

deps:
	@tools/deps.sh

base:
	@tools/fetch-base.sh

tree: base
	@tools/make-tree.sh

export:
	@tools/export-series.sh

build: deps base
	@tools/make-tree.sh
	@[ -n "$(ARCHES)" ] || exec tools/run-scenarios.py --scenario "$(SCENARIO)" --arches
	@for a in $(ARCHES); do tools/build-kernel.sh $$a || exit; done

boot:
	@tools/run-scenarios.py --arch $(ARCH) --scenario "$(SCENARIO)"

summary:
	@tools/summary.py

check-roundtrip:
	@tools/check-roundtrip.sh

check-patches:
	@tools/check-patches.sh

check-cocci:
	@tools/check-cocci.py

check-cocci-scripts:
	@tools/check-cocci-scripts.sh

build-fixes:
	@tools/build-fixes.sh

check-errors:
	@tools/check-errors.sh

mutants:
	@tools/mutants.py

# ARCH defaults to x86_64 for run; bench covers the arches that
# configs/bench.toml has boots for (x86_64 and arm64) unless ARCH is given.
bench: ARCH := $(if $(ARCH_GIVEN),$(ARCH),x86_64$(comma)arm64)
bench: deps base
	@tools/make-tree.sh
	@for a in $(ARCHES); do tools/build-kernel.sh $$a bench || exit; done
	@tools/bench.py --arch $(ARCH); a=$$?; \
	 tools/bench.py --arch $(ARCH) --icount && exit $$a

# Every scenario unless ARCH or SCENARIO narrows it.
lava: ARCH := $(if $(ARCH_GIVEN)$(SCENARIO),$(ARCH),all)
lava: build
	@/usr/bin/python3 tools/lava.py --arch $(ARCH) --scenario "$(SCENARIO)"

lava-check: ARCH := x86_64$(comma)arm64
lava-check: build
	@tools/lava-check.sh

clean:
	rm -rf build

help:
	@sed -n '1,/^$$/p' Makefile | sed 's/^# \{0,1\}//'
