package daemon

import (
	"context"
	"errors"

	"github.com/aliasd/aliasd/cache"

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
		return nil, cachePrefixError(err)
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
		return nil, cachePrefixError(err)
	}
	return &rpc.RemovedResult{Removed: n}, nil
}

// cachePrefixError names pathPrefix when the cache refuses it.
func cachePrefixError(err error) error {
	if errors.Is(err, cache.ErrBadKey) {
		return rpc.InvalidParam("pathPrefix", "%v", err)
	}
	return err
}
