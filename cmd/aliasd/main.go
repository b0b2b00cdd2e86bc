// Command aliasd is the local companion daemon for the alias marketplace
// API. See the README and docs/protocol.md.
package main

import (
	"os"

	"github.com/aliasd/aliasd/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], cli.IO{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}))
}
