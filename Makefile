# verifyd — the two commands of README.md, and a few more for development.
.PHONY: demo test build release deps bench clean

demo:            ## Build, start the sandbox, run the example jobs, print summary and reports.
	./scripts/demo.sh

test: deps       ## The whole test suite; the rate-control runs last, on their own (README.md, "Development").
	swift test --skip RateControlTests
	swift test --skip-build --filter RateControlTests

build: deps
	swift build

deps:            ## Debian packages (libcurl, SQLite, libphonenumber, test tools) and the official API clients (Python venv) if missing.
	./scripts/install-deps.sh

release: deps    ## The binary to deploy: .build/release/verifyd, the Swift runtime linked in (README.md, "A binary to deploy").
	swift build -c release --product verifyd --static-swift-stdlib

bench: release   ## The benchmark suite (release build, sandbox on loopback); figures in bench/README.md.
	bench/run-all.sh

clean:
	rm -rf .build jobs/incoming jobs/processing jobs/done jobs/rejected jobs/reports jobs/verifyd.sqlite* jobs/.verifyd.lock
