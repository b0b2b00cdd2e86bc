package daemon

import (
	"context"
	"errors"
	"slices"

	"github.com/aliasd/aliasd/rpc"
	"github.com/aliasd/aliasd/tokens"
)

// tokenError maps vault errors to RPC errors.
func tokenError(err error) error {
	var ie *tokens.InvalidError
	if errors.As(err, &ie) {
		field := ie.Field
		switch field {
		case "secret":
			field = "token"
		case "profile name":
			field = "name"
		}
		return rpc.InvalidParam(field, "%s", ie.Reason)
	}
	return rpc.Failed(err)
}

func (d *Daemon) tokenList(ctx context.Context, _ *struct{}) (*rpc.TokenListResult, error) {
	infos, err := d.vault.List(ctx)
	if err != nil {
		return nil, tokenError(err)
	}
	res := &rpc.TokenListResult{Tokens: make([]rpc.TokenInfo, 0, len(infos)), Warnings: d.vault.Warnings()}
	for _, i := range infos {
		res.Tokens = append(res.Tokens, rpc.TokenInfo{Name: i.Name, Fingerprint: i.Fingerprint, Storage: i.Storage, Active: i.Active})
	}
	return res, nil
}

func (d *Daemon) tokenAdd(ctx context.Context, p *rpc.TokenAddParams) (*rpc.TokenAddResult, error) {
	info, warnings, err := d.vault.Add(ctx, p.Name, p.Token)
	if err != nil {
		return nil, tokenError(err)
	}
	for _, w := range d.vault.Warnings() {
		if !slices.Contains(warnings, w) {
			warnings = append(warnings, w)
		}
	}
	return &rpc.TokenAddResult{Name: info.Name, Fingerprint: info.Fingerprint, Storage: info.Storage, Active: info.Active, Warnings: warnings}, nil
}

func (d *Daemon) tokenUse(ctx context.Context, p *rpc.TokenNameParams) (*rpc.TokenListResult, error) {
	if p.Name == "" {
		return nil, rpc.InvalidParam("name", "required")
	}
	if err := d.vault.Use(ctx, p.Name); err != nil {
		return nil, tokenError(err)
	}
	return d.tokenList(ctx, nil)
}

func (d *Daemon) tokenRemove(ctx context.Context, p *rpc.TokenNameParams) (*rpc.TokenListResult, error) {
	if p.Name == "" {
		return nil, rpc.InvalidParam("name", "required")
	}
	if _, err := d.vault.Remove(ctx, p.Name); err != nil {
		return nil, tokenError(err)
	}
	return d.tokenList(ctx, nil)
}

// tokenVerify calls GET /test with a profile; the call is in the history
// like any other.
func (d *Daemon) tokenVerify(ctx context.Context, p *rpc.TokenNameParams) (*rpc.TokenVerifyResult, error) {
	sess := sessionOf(rpc.ConnFromContext(ctx))
	out, err := d.do(ctx, call{method: "GET", path: "/test", profile: p.Name, cacheMode: rpc.CacheNoCache, sess: sess})
	if err != nil {
		return nil, err
	}
	r := out.result
	name := p.Name
	if name == "" {
		name = out.wire.Profile
	}
	return &rpc.TokenVerifyResult{OK: r.Status >= 200 && r.Status < 300, Name: name, Status: r.Status, RequestID: r.RequestID, HistoryID: r.HistoryID, Diagnostic: r.Diagnostic}, nil
}
