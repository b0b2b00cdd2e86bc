package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Paths is where aliasd keeps its files.
type Paths struct {
	// Home is ALIASD_HOME when set: then every other directory is under it.
	Home       string
	ConfigDir  string // config.toml, token metadata
	DataDir    string // aliasd.db
	LogDir     string // daemon logs
	RuntimeDir string // the shared daemon's socket and locks
}

// ConfigFile is the config file's path.
func (p Paths) ConfigFile() string { return filepath.Join(p.ConfigDir, "config.toml") }

// DBFile is the bbolt file's path.
func (p Paths) DBFile() string { return filepath.Join(p.DataDir, "aliasd.db") }

// ResolvePaths computes Paths from the environment: ALIASD_HOME when set,
// else the XDG base directories.
func ResolvePaths(getenv func(string) string) (Paths, error) {
	if home := getenv("ALIASD_HOME"); home != "" {
		abs, err := filepath.Abs(home)
		if err != nil {
			return Paths{}, fmt.Errorf("ALIASD_HOME: %w", err)
		}
		return Paths{
			Home:       abs,
			ConfigDir:  abs,
			DataDir:    filepath.Join(abs, "data"),
			LogDir:     filepath.Join(abs, "log"),
			RuntimeDir: filepath.Join(abs, "run"),
		}, nil
	}
	userHome := getenv("HOME")
	xdg := func(env, fallback string) (string, error) {
		if v := getenv(env); v != "" && filepath.IsAbs(v) {
			return filepath.Join(v, "aliasd"), nil
		}
		if userHome == "" {
			return "", errors.New("neither ALIASD_HOME nor HOME is set")
		}
		return filepath.Join(userHome, fallback, "aliasd"), nil
	}
	var p Paths
	var err error
	if p.ConfigDir, err = xdg("XDG_CONFIG_HOME", ".config"); err != nil {
		return Paths{}, err
	}
	if p.DataDir, err = xdg("XDG_DATA_HOME", filepath.Join(".local", "share")); err != nil {
		return Paths{}, err
	}
	if p.LogDir, err = xdg("XDG_STATE_HOME", filepath.Join(".local", "state")); err != nil {
		return Paths{}, err
	}
	if rt := getenv("XDG_RUNTIME_DIR"); rt != "" && filepath.IsAbs(rt) {
		p.RuntimeDir = filepath.Join(rt, "aliasd")
	} else {
		p.RuntimeDir = filepath.Join(os.TempDir(), fmt.Sprintf("aliasd-%d", os.Getuid()))
	}
	return p, nil
}

// Ensure creates the directories with mode 0700.
func (p Paths) Ensure() error {
	for _, d := range []string{p.ConfigDir, p.DataDir, p.LogDir, p.RuntimeDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return err
		}
	}
	return nil
}
