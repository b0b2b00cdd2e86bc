# The two commands a newcomer needs:
#   make demo   the offline quickstart (aliasd demo on the embedded mock)
#   make test   every test: installs missing test dependencies, then runs
#               go vet, the Go tests with -race, a bounded fuzz run, the
#               real-keyring tests and the editor tests
SHELL := /bin/bash
GO ?= go
FUZZTIME ?= 20s
BIN := $(CURDIR)/.build/aliasd

.PHONY: all build demo test deps vet gotest fuzz

all: build

build:
	$(GO) build -o $(BIN) ./cmd/aliasd

demo:
	$(GO) run ./cmd/aliasd demo

deps:
	./scripts/install-test-deps.sh

vet:
	test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt: files above need formatting"; exit 1; }
	$(GO) vet ./...

gotest:
	$(GO) test -race -timeout 20m ./...

fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzFrameReader$$' -fuzztime $(FUZZTIME) ./rpc

test: deps vet build gotest fuzz
	@echo "make test: all passed"
