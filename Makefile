# Drive Referrals. The two commands: `make run` and `make test`.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
GO ?= go
ADDR ?= 127.0.0.1:3000
FUNCTIONS := IntakeFunction AdminFunction CasesFunction EligibilityFunction AllocateFunction NotifyFunction RemindFunction RelayFunction
ENV ?= default

.PHONY: run test test-faults bench bench-init load fuzz build deploy redrive backfill assets check vet lint unit-and-integration sam-build-check clean $(addprefix build-,$(FUNCTIONS))

## run: the whole pipeline locally on moto, seeded, on http://localhost:3000 (ADDR=host:port to change)
run: check
	@$(GO) build -o bin/run ./infra/run
	@exec ./bin/run -addr $(ADDR) -faults "$(FAULTS)"

## test: vet, cfn-lint, the Lambda build for arm64, unit and integration tests
test: check vet lint sam-build-check unit-and-integration

## test-faults: the fault test alone (infra/local/faults_test.go): FAULT_REFERRALS referrals (60) through the local
## stack while it fails as AWS does, with an unreadable message in each queue, then the checker; prints a summary.
## FAULT_REFERRALS=300 for a full run. (make test runs it with 32 referrals and no unreadable messages.)
FAULT_REFERRALS ?= 60
test-faults:
	@$(GO) test -count=1 -timeout $(TEST_TIMEOUT) -run '^TestFaults$$' -v ./infra/local -args -faults.referrals=$(FAULT_REFERRALS) -faults.poison

## bench: the handlers' and domain's own cost (speed targets live here, not in timed tests)
bench:
	@$(GO) test -timeout 15m -run '^$$' -bench . -benchmem ./shared/... ./functions/...

## bench-init: each function's cold start (exec to its first Runtime API /next, configuration read and SDK clients
## built) against a bare Go Lambda's, interleaved, BENCH_INIT_RUNS rounds; prints medians and ratios (goal: 2.0x)
BENCH_INIT_RUNS ?= 41
bench-init:
	@$(GO) run ./infra/benchinit -runs $(BENCH_INIT_RUNS)

## load: the cost of a referral: LOAD_N referrals (200) at LOAD_RATE a second (4) through the local stack, metered;
## prints POST→allocated and POST→emails percentiles, referrals lost, and per referral each service's requests and
## units and the US$ at eu-west-2 prices (infra/load/prices.go), with the stack's fixed monthly cost
LOAD_N ?= 200
LOAD_RATE ?= 4
load: check
	@$(GO) run ./infra/load -n $(LOAD_N) -rate $(LOAD_RATE)

## fuzz: every native Go fuzz target (shared/, functions/) for FUZZTIME each, one after another; prints each
## target's executions and the total, and fails on any failure or under FUZZ_MIN_EXECS inputs in all.
## make test runs only the seed corpora (testdata/fuzz/<target>), as plain go test does.
FUZZTIME ?= 10s
FUZZ_MIN_EXECS ?= 100000
FUZZMINIMIZETIME ?= 0
fuzz:
	@GO=$(GO) FUZZTIME=$(FUZZTIME) FUZZ_MIN_EXECS=$(FUZZ_MIN_EXECS) FUZZMINIMIZETIME=$(FUZZMINIMIZETIME) ./infra/fuzz.sh

vet:
	@echo "==> go vet"
	@$(GO) vet ./...
	@test -z "$$(gofmt -l functions shared infra)" || { echo "gofmt would change:"; gofmt -l functions shared infra; exit 1; }

lint:
	@echo "==> cfn-lint template.yaml"
	@cfn-lint template.yaml

# infra/local takes about 3-4 minutes on a quiet 2-core machine and can take three times that on a busy one:
# the timeout (go test's default is 10 minutes) leaves room for that, and still ends a test that hangs.
TEST_TIMEOUT ?= 25m
# infra/local's load and fault tests run beside its serial tests (each test that shares the stack takes a lock):
# 4 slots lets all three groups run at once.
TEST_PARALLEL ?= 4

# gotestsum (pinned in go.mod's tool block) runs go test -json: a line per package, each failed test's output,
# then the slowest tests and, last, the failed tests by name, so that the end of a CI log says what failed.
unit-and-integration:
	@echo "==> go test (integration tests start their own moto on a free port; timeout $(TEST_TIMEOUT))"
	@json=$$(mktemp); trap 'rm -f "$$json"' EXIT; rc=0; \
	$(GO) tool gotestsum --format pkgname-and-test-fails --format-icons text --hide-summary=output --jsonfile "$$json" -- \
		-count=1 -timeout $(TEST_TIMEOUT) -parallel $(TEST_PARALLEL) ./... || rc=$$?; \
	echo "==> the slowest tests (over 3 s)"; $(GO) tool gotestsum tool slowest --jsonfile "$$json" --threshold 3s || true; \
	echo "==> the result"; $(GO) tool gotestsum --raw-command --format pkgname --format-icons text --hide-summary=output,skipped -- cat "$$json" | grep -v '^PASS ' || true; \
	exit $$rc

# What `sam build` runs, done into a scratch folder: the arm64 binaries build.
sam-build-check:
	@echo "==> building the $(words $(FUNCTIONS)) functions for linux/arm64, as sam build does"
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	for f in $(FUNCTIONS); do $(MAKE) -s build-$$f ARTIFACTS_DIR=$$tmp/$$f; done; \
	ls $$tmp/*/bootstrap | wc -l | grep -qx $(words $(FUNCTIONS))

# sam build calls build-<LogicalId> with ARTIFACTS_DIR set (BuildMethod: makefile).
$(addprefix build-,$(FUNCTIONS)):
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build -tags lambda.norpc -trimpath -ldflags='-s -w' \
		-o $(ARTIFACTS_DIR)/bootstrap ./functions/$(shell echo $(patsubst build-%Function,%,$@) | tr A-Z a-z)

## build: each function's arm64 bootstrap, as sam build makes it (.aws-sam/build/<Function>/bootstrap), zipped
## as sam deploy uploads it (dist/<Function>.zip), with the sizes
build:
	@rm -rf dist && mkdir -p dist
	@for f in $(FUNCTIONS); do \
		$(MAKE) -s build-$$f ARTIFACTS_DIR=$(CURDIR)/.aws-sam/build/$$f || exit 1; \
		rm -f dist/$$f.zip; (cd .aws-sam/build/$$f && TZ=UTC touch -t 198001010000 bootstrap && zip -q -X ../../../dist/$$f.zip bootstrap); \
	done
	@echo "arm64 bootstrap zips (bytes zipped, bytes unzipped):"
	@for f in $(FUNCTIONS); do printf '  %-28s %9d %9d\n' dist/$$f.zip $$(stat -c %s dist/$$f.zip) $$(stat -c %s .aws-sam/build/$$f/bootstrap); done

## deploy: sam build && sam deploy, with samconfig.toml's settings (ENV=prod for prod)
deploy:
	@command -v sam >/dev/null || { echo "The AWS SAM CLI is missing: install it (https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/install-sam-cli.html), then make deploy"; exit 1; }
	sam build --config-env $(ENV)
	sam deploy --config-env $(ENV)

## backfill: give the items stored before GSI3 and GSI4 existed their keys, so that "Your referrals" and the
## area's report and list count them:
## make backfill TABLE=<the stack's table name> (safe to run again, and while the functions run)
backfill:
	@test -n "$(TABLE)" || { echo "Say which table: make backfill TABLE=<the stack's table name>"; exit 2; }
	@$(GO) run ./infra/backfill "$(TABLE)"

## redrive: move a dead-letter queue's messages back to their source queue: make redrive QUEUE=<URL or name>
redrive:
	@test -n "$(QUEUE)" || { echo "Say which dead-letter queue: make redrive QUEUE=<URL or name> (the stack's DeadLetterQueues output)"; exit 2; }
	@$(GO) run ./infra/redrive/cmd "$(QUEUE)"

## assets: refresh the GOV.UK Frontend styles embedded in shared/web (the pages of every function) from web/package.json's pinned version.
# GDS Transport is licensed for GOV.UK services only, so its @font-face rules are dropped and the styles' own
# fallback (Arial) is used.
assets:
	cd web && npm ci --no-audit --no-fund
	sed -E 's/@font-face\{[^}]*\}//g' web/node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.css \
		> shared/web/static/govuk-frontend.min.css
	cp web/node_modules/govuk-frontend/package.json shared/web/static/govuk-frontend.package.json

## check: what make needs, with a clear message for what is missing
check:
	@command -v $(GO) >/dev/null || { echo "Go is missing: install Go 1.24 or later from go.dev/dl"; exit 1; }
	@command -v python3 >/dev/null || { echo "python3 is missing: install Python 3.11 (moto runs on it)"; exit 1; }
	@python3 -c 'import moto.server, flask' 2>/dev/null || { \
		echo "moto's server is missing; trying: python3 -m pip install 'moto[server]'"; \
		python3 -m pip install --quiet 'moto[server]' || { echo "Could not install moto: install it with: python3 -m pip install 'moto[server]'"; exit 1; }; }
	@command -v cfn-lint >/dev/null || { \
		echo "cfn-lint is missing; trying: python3 -m pip install cfn-lint"; \
		python3 -m pip install --quiet cfn-lint || { echo "Could not install cfn-lint: install it with: python3 -m pip install cfn-lint"; exit 1; }; }
	@$(GO) mod download
	@command -v chromium >/dev/null || { \
		echo "Chromium is missing (the browser test needs it); installing Debian's chromium package..."; \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >/dev/null 2>&1 || \
		echo "*** Could not install chromium (apt-get install chromium, as root): the browser test will be SKIPPED ***"; }
	@test -f web/node_modules/axe-core/axe.min.js || { \
		echo "Installing the front-end packages (axe-core for the accessibility check)..."; \
		(cd web && npm ci --no-audit --no-fund --loglevel=error) || \
		echo "*** Could not run npm ci in web/ (is Node.js installed?): the browser test will be SKIPPED ***"; }

clean:
	rm -rf bin .aws-sam dist
