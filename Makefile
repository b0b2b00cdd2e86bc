# The two commands a newcomer needs:
#   make demo   the offline quickstart (aliasd demo on the embedded mock)
#   make test   every test: installs missing test dependencies, then runs
#               go vet, the Go tests with -race, the real-keyring tests, a
#               bounded fuzz run, and the Neovim and VS Code tests in real
#               editors
SHELL := /bin/bash
GO ?= go
FUZZTIME ?= 15s
BIN := $(CURDIR)/.build/aliasd

.PHONY: all build demo test deps vet gotest keyring fuzz nvim vscode

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
	# The history suite again, every History answering from a journal.
	ALIASD_TEST_JOURNAL=1 $(GO) test -race -timeout 10m ./history

# The vault's keyring tests against a real Secret Service (a private D-Bus
# session with an unlocked gnome-keyring).
keyring:
	sh tokens/testdata/run-keyring-tests.sh

fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzFrameReader$$' -fuzztime $(FUZZTIME) ./rpc
	$(GO) test -run '^$$' -fuzz '^FuzzCanonicalKey$$' -fuzztime $(FUZZTIME) ./cache
	$(GO) test -run '^$$' -fuzz '^FuzzRedact$$' -fuzztime $(FUZZTIME) ./internal/redact
	$(GO) test -run '^$$' -fuzz '^FuzzJournalFrames$$' -fuzztime $(FUZZTIME) ./history

# The Neovim plugin's headless tests in real Neovim against the built binary.
nvim: build
	ALIASD_BIN=$(BIN) editors/nvim/ci.sh

# The VS Code extension: npm ci, build, unit tests, the .vsix, and its
# end-to-end test in a real VS Code (code-server 4.100.3, headless Chromium).
vscode: build
	ALIASD_BIN=$(BIN) editors/vscode/ci.sh

test: deps vet build gotest keyring fuzz nvim vscode
	@echo "make test: all passed"
