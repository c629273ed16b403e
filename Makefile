# The two commands of the README: `make run` boots the kernel, `make test` runs every test.
# Both install whatever is missing first (scripts/ensure-deps.sh), so a fresh Debian machine needs nothing else.

OSTOOL := node bin/ostool.js
SUMMARY := build/test-summary.txt

.PHONY: run test build deps-run deps-test clean

run: deps-run build
	$(OSTOOL) run

test: deps-test build
	@mkdir -p build && rm -f $(SUMMARY)
	@status=0; npx vitest run || status=$$?; \
	  if [ -f $(SUMMARY) ]; then cat $(SUMMARY); else echo "0 passed, 1 failed"; status=1; fi; \
	  exit $$status

build:
	npm run -s build

deps-run:
	@scripts/ensure-deps.sh run

deps-test:
	@scripts/ensure-deps.sh test

clean:
	rm -rf dist build
