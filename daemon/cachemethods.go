package daemon

import (
	"context"

	"github.com/aliasd/aliasd/alias"
	"github.com/aliasd/aliasd/rpc"
)

func (d *Daemon) cacheStats(ctx context.Context, p *rpc.CacheParams) (*rpc.CacheStatsResult, error) {
	prefix := ""
	if p.PathPrefix != "" {
		prefix = alias.NormalizePath(p.PathPrefix)
	}
	st, err := d.cache.Stats(prefix)
	if err != nil {
		return nil, err
	}
	if size, err := d.store.FileSize(); err == nil {
		st.FileBytes = size
	}
	return &st, nil
}

func (d *Daemon) cacheClear(ctx context.Context, p *rpc.CacheParams) (*rpc.RemovedResult, error) {
	prefix := ""
	if p.PathPrefix != "" {
		prefix = alias.NormalizePath(p.PathPrefix)
	}
	n, err := d.cache.Clear(prefix)
	if err != nil {
		return nil, err
	}
	return &rpc.RemovedResult{Removed: n}, nil
}
