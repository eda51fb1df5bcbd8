# Two commands on a fresh machine: `make local` runs the whole service, `make test` checks it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements-dev.txt layers/common/requirements.txt | cksum | cut -d' ' -f1)
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed-$(shell cksum < requirements-checkov.txt | cut -d' ' -f1)

.PHONY: help venv local test lint unit integration e2e soak bench events clean console

help:
	@echo "make local   run the API and the web console on http://127.0.0.1:$${PORT:-3000} with AWS emulated in-process"
	@echo "make console  build the web console (npm ci, then esbuild) into console/dist"
	@echo "make console-deploy  upload the built console and its config.json to the deployed stack (after sam deploy)"
	@echo "make test    lint (ruff, cfn-lint + serverless rules, checkov) and run every test"
	@echo "make soak    the model-based test of balances over many more random sequences (POM_STATEFUL_EXAMPLES)"
	@echo "make bench   print DynamoDB requests and items read per operation (and per match and scheduled run"
	@echo "             as the table grows), each handler's cold start (import, init + first invocation), invoice throughput"
	@echo "             in local mode against bare PutItem, e-invoice parse times and package sizes"

$(STAMP): requirements-dev.txt layers/common/requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

$(CHECKOV_STAMP): requirements-checkov.txt
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-checkov.txt
	rm -f $(CHECKOV_VENV)/.installed-*
	touch $(CHECKOV_STAMP)

venv: $(STAMP)

# The web console (React + Cloudscape, bundled by esbuild): its packages come from the committed
# lockfile with `npm ci` (install scripts off: esbuild's binary is an optional dependency), and the
# bundle is rebuilt whenever a source, the lockfile or the build script changed.
CONSOLE_MODULES := console/node_modules/.package-lock.json
CONSOLE_BUILD := console/dist/index.html
CONSOLE_SOURCES := $(shell find console/src console/scripts -type f 2>/dev/null) console/index.html console/config.json console/favicon.svg

$(CONSOLE_MODULES): console/package.json console/package-lock.json
	@command -v npm >/dev/null || { echo "the console needs Node.js 18 or newer with npm"; exit 1; }
	cd console && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $(CONSOLE_MODULES)

$(CONSOLE_BUILD): $(CONSOLE_MODULES) $(CONSOLE_SOURCES)
	cd console && node scripts/build.mjs

console: $(CONSOLE_BUILD)

local: $(STAMP) console
	$(BIN)/python -m local_runner

# checkov fails on any failed check: each exception is a `Metadata: checkov: skip` entry, with its
# reason, on the resource in template.yaml. --skip-download: offline, nothing fetched from its platform.
lint: $(STAMP) $(CHECKOV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/cfn-lint template.yaml
	$(BIN)/cfn-lint --append-rules cfn_lint_serverless.rules -- template.yaml
	$(CHECKOV_VENV)/bin/checkov --quiet --compact --skip-download --framework cloudformation -f template.yaml

# The browser tests (tests/browser) drive Debian's chromium: Playwright never downloads a browser.
# Installed here when missing; if apt-get cannot, those tests skip and say why.
.PHONY: chromium
chromium:
	@test -x /usr/bin/chromium || { \
	  echo "installing chromium with apt-get for the browser tests"; \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq --no-install-recommends chromium fonts-liberation; } >/dev/null 2>&1 \
	  || echo "chromium could not be installed: the browser tests will skip"; }

test: lint chromium console
	$(BIN)/python -m pytest

unit integration e2e: $(STAMP)
	$(BIN)/python -m pytest tests/$@

# The state machine of tests/properties runs 200 sequences in `make test`; here, many more.
soak: $(STAMP)
	POM_STATEFUL_EXAMPLES=$${POM_STATEFUL_EXAMPLES:-5000} $(BIN)/python -m pytest tests/properties -q -p no:cacheprovider

# Every bench runs and prints its figures; then the names of those whose bar did not hold, if any (exit 1).
BENCHES := operation_cost match_cost expiry_cost cold_start einvoice_parse throughput package_size console_size
bench: $(STAMP) console
	@failed=""; for name in $(BENCHES); do \
	  echo "== bench/$$name.py"; $(BIN)/python bench/$$name.py || failed="$$failed $$name"; echo; \
	done; \
	if [ -n "$$failed" ]; then echo "bars not met:$$failed"; exit 1; fi; echo "every bar met"

# Rewrites events/ from the event builder the runner uses (the tests check they still match it).
events: $(STAMP)
	$(BIN)/python -m local_runner.sample_events

# The deployed console: the built bundle (console/dist) synced to the stack's ConsoleBucket and a config.json written from
# the stack's outputs (STACK=<name> for another stack). Every file goes with Cache-Control: no-cache,
# so browsers and CloudFront revalidate and a deploy shows at once. With ExistingUserPoolArn, give
# the console's app client and hosted-UI domain: CONSOLE_CLIENT_ID=... CONSOLE_SIGN_IN_DOMAIN=...
STACK ?= purchase-order-management
.PHONY: console-deploy
console-deploy: console
	@set -eu; \
	output() { aws cloudformation describe-stacks --stack-name "$(STACK)" \
	  --query "Stacks[0].Outputs[?OutputKey=='$$1'].OutputValue" --output text; }; \
	bucket=$$(output ConsoleBucketName); url=$$(output ConsoleUrl); api_url=$$(output ApiUrl); \
	pool=$$(output UserPoolId); \
	client=$${CONSOLE_CLIENT_ID:-$$(output ConsoleUserPoolClientId)}; \
	domain=$${CONSOLE_SIGN_IN_DOMAIN:-$$(output ConsoleSignInDomain)}; \
	test -n "$$bucket" || { echo "stack $(STACK) has no ConsoleBucketName output"; exit 1; }; \
	test -n "$$client" -a -n "$$domain" || { echo "set CONSOLE_CLIENT_ID and CONSOLE_SIGN_IN_DOMAIN"; exit 1; }; \
	config=$$(printf '{"mode": "cognito", "apiUrl": "%s/%s", "region": "%s", "userPoolId": "%s", "clientId": "%s", "domain": "%s"}' \
	  "$$url" "$${api_url##*/}" "$${pool%%_*}" "$$pool" "$$client" "$$domain"); \
	aws s3 sync console/dist/ "s3://$$bucket/" --delete --exclude config.json --exclude meta.json --cache-control no-cache; \
	printf '%s\n' "$$config" | aws s3 cp - "s3://$$bucket/config.json" \
	  --content-type application/json --cache-control no-cache; \
	echo "console: $$url"

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) .pytest_cache .ruff_cache .aws-sam console/node_modules console/dist
