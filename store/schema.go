package store

import (
	"encoding/binary"
	"errors"
	"fmt"

	"go.etcd.io/bbolt"
)

// SchemaError reports a component whose stored schema is newer than the
// steps this binary knows. It wraps ErrSchemaTooNew.
type SchemaError struct {
	Component string
	Stored    uint64 // version recorded in the file
	Known     uint64 // newest version this binary can migrate to
}

func (e *SchemaError) Error() string {
	return fmt.Sprintf("%s schema in the store is version %d but this aliasd knows up to %d; upgrade aliasd or point it at another data directory",
		e.Component, e.Stored, e.Known)
}

// Unwrap makes errors.Is(err, ErrSchemaTooNew) true.
func (e *SchemaError) Unwrap() error { return ErrSchemaTooNew }

func schemaKey(component string) []byte { return []byte("schema/" + component) }

// SchemaVersion returns the schema version recorded for component, 0 when
// it has none.
func (s *Store) SchemaVersion(component string) (uint64, error) {
	var v uint64
	err := s.View(func(tx *bbolt.Tx) error {
		var err error
		v, err = readVersion(tx, component)
		return err
	})
	return v, err
}

func readVersion(tx *bbolt.Tx, component string) (uint64, error) {
	meta := tx.Bucket(MetaBucket)
	if meta == nil {
		return 0, errors.New("meta bucket missing")
	}
	raw := meta.Get(schemaKey(component))
	if raw == nil {
		return 0, nil
	}
	v, err := ParseSeqKey(raw)
	if err != nil {
		return 0, fmt.Errorf("%s schema version: %w", component, err)
	}
	return v, nil
}

// Migrate brings component's schema to version len(steps). steps[i]
// upgrades version i to i+1; the pending ones run in order inside one
// read-write transaction together with the new version number, so a
// failing step leaves the file as it was. A file whose version is newer
// than len(steps) is left untouched and a *SchemaError is returned.
func (s *Store) Migrate(component string, steps []func(*bbolt.Tx) error) error {
	if component == "" {
		return errors.New("migrating: no component name")
	}
	known := uint64(len(steps))
	return s.Update(func(tx *bbolt.Tx) error {
		have, err := readVersion(tx, component)
		if err != nil {
			return err
		}
		if have > known {
			return &SchemaError{Component: component, Stored: have, Known: known}
		}
		if have == known {
			return nil
		}
		for v := have; v < known; v++ {
			if err := steps[v](tx); err != nil {
				return fmt.Errorf("migrating %s schema to version %d: %w", component, v+1, err)
			}
		}
		return tx.Bucket(MetaBucket).Put(schemaKey(component), SeqKey(known))
	})
}

// SeqKey encodes n as 8 big-endian bytes, so that bucket order is numeric
// order (and, for sequence numbers, insertion order).
func SeqKey(n uint64) []byte {
	return binary.BigEndian.AppendUint64(make([]byte, 0, 8), n)
}

// ParseSeqKey decodes a key made by SeqKey.
func ParseSeqKey(b []byte) (uint64, error) {
	if len(b) != 8 {
		return 0, fmt.Errorf("sequence key is %d bytes, want 8", len(b))
	}
	return binary.BigEndian.Uint64(b), nil
}

// NextSeqKey returns the bucket's next sequence number as a SeqKey. It
// needs a read-write transaction.
func NextSeqKey(b *bbolt.Bucket) ([]byte, error) {
	n, err := b.NextSequence()
	if err != nil {
		return nil, err
	}
	return SeqKey(n), nil
}
