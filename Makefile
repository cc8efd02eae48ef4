# Herald: the two commands a newcomer needs are `make run` and `make test`.
# Everything here drives CMake presets (CMakePresets.json); see README.md.

JOBS ?= $(shell nproc)
FUZZ_SECONDS ?= 20
PORT ?= 8080
CTEST = ctest --output-on-failure --timeout 600 -j $(JOBS)

.PHONY: all deps build web debug asan fuzz-build run package test test-release test-asan test-fuzz clean

all: build

deps:
	@./scripts/install-deps.sh

build: deps web
	@cmake --preset release >/dev/null
	@cmake --build --preset release -j $(JOBS)

# The web apps (web/: chat and dashboard), built by Vite into web/dist,
# which `herald serve` serves (server.web_root).
web: deps
	@if [ -f web/package.json ]; then cd web && npm run --silent build; fi

debug: deps
	@cmake --preset debug >/dev/null
	@cmake --build --preset debug -j $(JOBS)

asan: deps
	@cmake --preset asan >/dev/null
	@cmake --build --preset asan -j $(JOBS)

fuzz-build: deps
	@cmake --preset fuzz >/dev/null
	@cmake --build --preset fuzz -j $(JOBS)

# `make run`: the messaging server with the demo configuration (anonymous
# clients allowed, a `chat:` namespace with durable history and presence).
run: build
	@echo "Herald chat: http://127.0.0.1:$(PORT)/  dashboard: http://127.0.0.1:$(PORT)/dashboard  admin: http://127.0.0.1:$(PORT)/admin (password demo-admin-password)  (Ctrl-C stops it)"
	@./build/release/src/app/herald serve --config herald.demo.toml --port $(PORT)

# `make package`: the Debian package build/release/herald_<version>_amd64.deb
# (CPack, packaging/): the release build and the web apps, then cpack.
package: build
	@cmake --build --preset release --target package

# Every tier, on a release build and again under ASan+UBSan, then each fuzz
# target for FUZZ_SECONDS.
test: test-release test-asan test-fuzz
	@echo "make test: all tiers passed"

test-release: build
	cd build/release && $(CTEST) -L 'unit|integration|interop|e2e|hostile'

test-asan: asan
	cd build/asan && $(CTEST) -L 'unit|integration|interop|hostile'

test-fuzz: fuzz-build
	cd build/fuzz && FUZZ_SECONDS=$(FUZZ_SECONDS) ctest --output-on-failure -j $(JOBS) -L fuzz

clean:
	rm -rf build
