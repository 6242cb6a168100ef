# certledger — the commands the README tells people to run.
SHELL := /bin/bash
GO ?= go
BIN := $(CURDIR)/bin
RUN := $(CURDIR)/.run
PKGS := ./...

.PHONY: all build test test-short lint fmt fuzz bench demo up down clean help

all: build

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

build: ## build every binary into ./bin
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/ ./cli/cmd/... ./chaincode/cmd/... ./gateway/cmd/... ./network/devnet/cmd/... ./loadtest/cmd/...

test: ## vet, then every test with the race detector (what CI runs)
	$(GO) vet $(PKGS)
	$(GO) test -race -timeout 40m $(PKGS)

test-short: ## quick tests, no race detector
	$(GO) test -short $(PKGS)

lint: ## gofmt, go vet, function lengths, binary dependencies, and golangci-lint when installed
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) run ./scripts/longfuncs -max 100
	GO=$(GO) bash scripts/check-deps.sh
	@if command -v golangci-lint >/dev/null; then golangci-lint run; else echo "golangci-lint not installed; skipped (config: .golangci.yml)"; fi

fmt: ## gofmt -w
	gofmt -w $$(git ls-files '*.go')

fuzz: ## run every fuzz target for FUZZTIME each (default 10s)
	@set -e; for f in $$(grep -rl --include='*_test.go' '^func Fuzz' .); do \
	  d=$$(dirname $$f); for t in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$f | cut -c6-); do \
	    echo "== $$d $$t"; $(GO) test -run='^$$' -fuzz="^$$t$$" -fuzztime=$${FUZZTIME:-10s} -fuzzminimizetime=0 $$d; \
	  done; done

bench: ## print the crypto figures (SM3 file vs memory, SM2 vs ECDSA) and the Merkle leaves/s
	$(GO) run ./internal/gm/cmd/gmbench
	$(GO) run ./internal/merkle/cmd/merklebench

demo: up ## alias of up

up: build ## start the devnet and the gateway in the background under ./.run and seed two departments
	@bash scripts/up.sh

down: ## stop what `make up` started
	@bash scripts/down.sh

clean: ## remove binaries and local run data
	rm -rf $(BIN) $(RUN)
