//go:build unix && !darwin

package tokens

import (
	"errors"
	"fmt"
	"os"
)

// errNoSessionBus: there is no D-Bus session bus to reach a Secret Service.
var errNoSessionBus = errors.New("no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set), so no Secret Service to hold tokens")

// sessionBusCheck reports errNoSessionBus when no session bus address can
// be found the way godbus finds one. Without this check godbus would run
// dbus-launch --autolaunch, leaving a stray session bus (and a Secret
// Service that has nobody to unlock it) behind a headless daemon.
func sessionBusCheck() error {
	if a := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); a != "" && a != "autolaunch:" {
		return nil
	}
	run := fmt.Sprintf("/run/user/%d/", os.Getuid())
	for _, f := range []string{"bus", "dbus-session"} {
		if _, err := os.Stat(run + f); err == nil {
			return nil
		}
	}
	return errNoSessionBus
}
