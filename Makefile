# Descent — the two commands are `make run` and `make test`; both work as root on a fresh
# Debian machine with Swift installed (they install the system libraries when missing).

SWIFT       ?= swift
APT_PACKAGES = libopenblas-dev liblapacke-dev pkg-config
# Only the tests need these: rsvg-convert renders the SVG plots to prove they are valid;
# OpenMPI runs the distributed tests (mpirun -np 2 and -np 3 as subprocesses);
# /usr/bin/time (package time) measures the peak memory of CLI runs (PeakMemoryTests).
TEST_APT_PACKAGES = librsvg2-bin libopenmpi-dev openmpi-bin time
MPI_APT_PACKAGES  = libopenmpi-dev openmpi-bin
RELEASE_BIN  = .build/release/descent

.PHONY: setup setup-test build release run test test-unit mpi bench bench-kernels bench-peers bench-solver csv-speed scaling-plot peak-memory clean fuzz fuzz-build fuzz-smoke sanitize sanitize-address sanitize-thread sanitize-smoke

# Installs the missing Debian packages without a prompt (apt-get update first, once).
define apt_install
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null \
	    || { echo "could not install:$$missing" >&2; exit 1; }; \
	fi
endef

setup:
	$(call apt_install,$(APT_PACKAGES))

setup-test: setup
	$(call apt_install,$(TEST_APT_PACKAGES))

build: setup
	$(SWIFT) build

release: setup
	$(SWIFT) build -c release

# The main job: the chapter's thermometer walkthrough on the embedded data.
run: release
	$(RELEASE_BIN) thermometer --plot plots

# The suite, then short smoke runs of the fuzzers and of ThreadSanitizer (issue 7, item 8).
test: test-unit fuzz-smoke sanitize-smoke

# The tests build the package with MPI (DESCENT_MPI=1) so the distributed tests can launch it
# under mpirun; users who never need MPI build without it.
test-unit: setup-test
	DESCENT_MPI=1 $(SWIFT) test

# The CLI with --distributed (OpenMPI), in release: .build/release/descent under mpirun.
mpi:
	$(call apt_install,$(APT_PACKAGES) $(MPI_APT_PACKAGES))
	DESCENT_MPI=1 $(SWIFT) build -c release

# Fuzzing (issue 7): libFuzzer + AddressSanitizer targets for the CSV, .npy and model-file
# readers, behind DESCENT_FUZZ=1 in Package.swift. Each runs FUZZ_SECONDS on a scratch corpus
# seeded from the committed Fuzz/corpus/; a crash leaves .build-fuzz/artifacts/<reader>-crash-*
# (turn it into a regression test in Tests/DescentTests/Fixtures/bad/).
FUZZ_SECONDS ?= 60
FUZZ_TARGETS  = CSV NPY Model
FUZZ_BUILD    = DESCENT_FUZZ=1 $(SWIFT) build --scratch-path .build-fuzz --sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address

fuzz-build: setup
	@set -e; for t in $(FUZZ_TARGETS); do $(FUZZ_BUILD) --product Fuzz$$t; done

fuzz: fuzz-build
	@set -e; for t in $(FUZZ_TARGETS); do \
	  c=$$(echo $$t | tr A-Z a-z); mkdir -p .build-fuzz/corpus/$$c .build-fuzz/artifacts; \
	  echo "fuzz: Fuzz$$t for $(FUZZ_SECONDS) s"; \
	  SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0 .build-fuzz/debug/Fuzz$$t .build-fuzz/corpus/$$c Fuzz/corpus/$$c \
	    -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=512 \
	    -artifact_prefix=.build-fuzz/artifacts/$$c- -print_final_stats=1 2>.build-fuzz/Fuzz$$t.log \
	    || { tail -40 .build-fuzz/Fuzz$$t.log; echo "fuzz: Fuzz$$t FAILED: see .build-fuzz/artifacts/$$c-*" >&2; exit 1; }; \
	  grep -E "stat::number_of_executed_units|Done" .build-fuzz/Fuzz$$t.log | tr '\n' ' '; echo; \
	done

fuzz-smoke:
	$(MAKE) fuzz FUZZ_SECONDS=10

# Sanitizers (issue 7): the whole suite under AddressSanitizer; the suites of the
# multi-threaded kernels (CSV parse, .npy convert, generate, fused gradient, solver passes,
# trainer) under ThreadSanitizer.
TSAN_FILTER ?= CSV|NPY|Synthetic|Gradient|Solver|Trainer|Property
sanitize: sanitize-address sanitize-thread

sanitize-address: setup-test
	ASAN_OPTIONS=detect_leaks=0:halt_on_error=1 $(SWIFT) test --scratch-path .build-asan --sanitize=address

sanitize-thread: setup-test
	TSAN_OPTIONS=halt_on_error=1 $(SWIFT) test --scratch-path .build-tsan --sanitize=thread --filter '$(TSAN_FILTER)'

# The smoke run inside `make test`: ThreadSanitizer on the parallel readers and the fused gradient.
sanitize-smoke:
	$(MAKE) sanitize-thread TSAN_FILTER='CSVTests|PropertyGradient|SyntheticData'

bench: release
	$(RELEASE_BIN) bench

# package-benchmark micro-benchmarks of the kernels (nested package, first build ~1-8 min).
bench-kernels: setup
	$(SWIFT) package --package-path Benchmarks benchmark

# NumPy (and PyTorch when it can be installed from PyPI) on the same .npy file as descent bench.
bench-peers: release
	@python3 -c "import numpy" 2>/dev/null || pip install -q numpy || echo "numpy could not be installed"
	@python3 -c "import torch" 2>/dev/null || pip install -q torch || echo "PyTorch could not be installed: its columns stay empty"
	python3 scripts/bench_peers.py --descent $(RELEASE_BIN) --rows 1000000 --features 16

# The closed form against numpy.linalg.lstsq and NumPy normal equations on 4,000,000 x 32.
bench-solver: release
	$(RELEASE_BIN) solve --data synthetic --rows 4000000 --features 32 --json
	python3 scripts/bench_solver_peers.py 4000000 32

# Issue 6: max RSS / data size of train (full batch, mini-batch) and solve on a memory-mapped
# 2,000,000 x 32 float64 .npy (528 MB, written to a temporary directory and removed); fails above 1.1.
peak-memory: release
	$(call apt_install,time)
	python3 scripts/peak_memory.py --descent $(RELEASE_BIN)

# CSV reading speed against numpy.loadtxt and pandas.read_csv on a ~1 GB file.
csv-speed: release
	@python3 -c "import pandas" 2>/dev/null || pip install -q pandas || echo "pandas could not be installed"
	python3 scripts/csv_speed.py

# Epoch time against rows x features (docs/scaling.svg, docs/scaling.json): linear scaling
# and the distance to one read of X, measured in the same process.
scaling-plot: release
	python3 scripts/scaling_plot.py

clean:
	rm -rf .build .build-fuzz .build-asan .build-tsan Benchmarks/.build

# Issue 8, item 4: `descent solve --distributed` over TCP across three simulated hosts (network
# namespaces with hostnames node1..node3 on a private bridge, one rank each, a hostfile, an rsh
# agent in place of ssh), checked against a single-process run. Needs root; cleans up after itself.
CLUSTER_APT_PACKAGES = iproute2 python3 $(MPI_APT_PACKAGES)
.PHONY: test-cluster
test-cluster:
	$(call apt_install,$(APT_PACKAGES) $(CLUSTER_APT_PACKAGES))
	DESCENT_MPI=1 $(SWIFT) build -c release --scratch-path .build-cluster
	bash scripts/test_cluster.sh
