//go:build !unix || darwin

package tokens

// sessionBusCheck: only the Secret Service needs a D-Bus session bus.
func sessionBusCheck() error { return nil }
