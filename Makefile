# verifyd — the two commands of README.md, and a few more for development.
.PHONY: demo test lint build release deps build-deps bench clean

demo:            ## Build, start the sandbox, run the example jobs, print summary and reports.
	./scripts/demo.sh

test: deps       ## The whole test suite; the rate-control runs last, on their own (README.md, "Development").
	swift test --skip RateControlTests
	swift test --skip-build --filter RateControlTests

lint:            ## swift format's findings as errors (.swift-format: 4 spaces, 120 columns); `swift format -i FILE` fixes most.
	swift format lint --strict --recursive Sources Tests Package.swift

build: build-deps
	swift build

build-deps:      ## The Debian packages verifyd builds against (libcurl, SQLite, libphonenumber, RE2, libpq), if missing.
	./scripts/install-deps.sh build

deps:            ## Those, plus the test tools (PostgreSQL server, headless Chromium) and the official API clients (Python venv).
	./scripts/install-deps.sh test

release: build-deps ## The binary to deploy: .build/release/verifyd, the Swift runtime linked in (README.md, "A binary to deploy").
	swift build -c release --product verifyd --static-swift-stdlib

bench: deps release ## The benchmark suite (release build, sandbox on loopback); figures in bench/README.md.
	bench/run-all.sh

clean:
	rm -rf .build jobs/incoming jobs/processing jobs/done jobs/rejected jobs/reports jobs/verifyd.sqlite* jobs/.verifyd.lock
