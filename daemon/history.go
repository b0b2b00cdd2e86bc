package daemon

import (
	"bytes"
	"context"
	"errors"
	"time"

	"github.com/aliasd/aliasd/alias"
	"github.com/aliasd/aliasd/history"
	"github.com/aliasd/aliasd/rpc"
)

// detail builds the history entry of a finished call.
func (d *Daemon) detail(c call, fullPath string, cred alias.Credential, start time.Time, out *outcome) *rpc.HistoryDetail {
	r, w := &out.result, out.wire
	return &rpc.HistoryDetail{
		HistoryEntry: rpc.HistoryEntry{
			Time:         start.UTC(),
			Method:       c.method,
			Path:         fullPath,
			Query:        c.query.Encode(),
			Status:       r.Status,
			RequestID:    r.RequestID,
			RequestIDs:   r.RequestIDs,
			DurationMs:   r.DurationMs,
			Attempts:     r.Attempts,
			Cache:        r.Cache,
			Profile:      cred.Profile,
			Fingerprint:  cred.Fingerprint,
			APIVersion:   alias.APIVersion,
			Client:       c.sess.clientName(),
			ResponseSize: int64(len(w.Body)),
			Error:        r.Error,
			Diagnostic:   r.Diagnostic,
		},
		Request:  rpc.HTTPMessage{Headers: alias.FlattenHeader(w.RequestHeader), Body: string(c.body), Size: int64(len(c.body))},
		Response: rpc.HTTPMessage{Headers: alias.FlattenHeader(w.Header), Body: string(w.Body), Size: int64(len(w.Body)), Truncated: w.Truncated},
	}
}

// record appends one call to the history; it returns after the entry is
// committed, so an answered call is a durable one.
func (d *Daemon) record(ctx context.Context, det *rpc.HistoryDetail) (rpc.HistoryEntry, error) {
	// Appending must finish even when the caller gave up: the call happened.
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	return d.history.Append(actx, det)
}

func (d *Daemon) registerHistory() {
	rpc.Register(d.table, rpc.MethodHistoryList, rpc.Concurrent, d.historyList)
	rpc.Register(d.table, rpc.MethodHistoryGet, rpc.Concurrent, d.historyGet)
	rpc.Register(d.table, rpc.MethodHistoryExport, rpc.Concurrent, d.historyExport)
	rpc.Register(d.table, rpc.MethodHistoryClear, rpc.Ordered, d.historyClear)
}

// historyError maps history errors to RPC errors.
func historyError(err error) error {
	var pe *history.ParamError
	if errors.As(err, &pe) {
		return rpc.InvalidParam(pe.Field, "%s", pe.Reason)
	}
	if errors.Is(err, history.ErrNotFound) {
		return rpc.Failed(err)
	}
	return err
}

func (d *Daemon) historyList(ctx context.Context, p *rpc.HistoryListParams) (*rpc.HistoryListResult, error) {
	res, err := d.history.List(*p)
	if err != nil {
		return nil, historyError(err)
	}
	if res.Entries == nil {
		res.Entries = []rpc.HistoryEntry{}
	}
	return &res, nil
}

func (d *Daemon) historyGet(ctx context.Context, p *rpc.HistoryGetParams) (*rpc.HistoryDetail, error) {
	var det *rpc.HistoryDetail
	var err error
	switch {
	case p.ID != "":
		det, err = d.history.Lookup(p.ID)
	default:
		det, err = d.history.GetByRequestID(p.RequestID)
	}
	if err != nil {
		return nil, historyError(err)
	}
	return det, nil
}

func (d *Daemon) historyExport(ctx context.Context, p *rpc.HistoryExportParams) (*rpc.HistoryExportResult, error) {
	var buf bytes.Buffer
	n, err := d.history.Export(&buf, p.Format, p.HistoryListParams)
	if err != nil {
		return nil, historyError(err)
	}
	// Defence in depth: the history redacts before writing; exports are
	// scrubbed once more with every token the daemon holds.
	return &rpc.HistoryExportResult{Format: p.Format, Entries: n, Data: d.redactor.String(buf.String())}, nil
}

func (d *Daemon) historyClear(ctx context.Context, _ *struct{}) (*rpc.RemovedResult, error) {
	n, err := d.history.Clear()
	if err != nil {
		return nil, err
	}
	return &rpc.RemovedResult{Removed: n}, nil
}
