package daemon

import (
	"context"
	"errors"

	"github.com/aliasd/aliasd/cache"

	"github.com/aliasd/aliasd/alias"
	"github.com/aliasd/aliasd/rpc"
)

// cachePrefix is the normalized path prefix a cache method covers; "" is
// the whole cache.
func cachePrefix(p *rpc.CacheParams) string {
	if p.PathPrefix == "" {
		return ""
	}
	return alias.NormalizePath(p.PathPrefix)
}

func (d *Daemon) cacheStats(ctx context.Context, p *rpc.CacheParams) (*rpc.CacheStatsResult, error) {
	st, err := d.cache.Stats(cachePrefix(p))
	if err != nil {
		return nil, cachePrefixError(err)
	}
	if size, err := d.store.FileSize(); err == nil {
		st.FileBytes = size
	}
	return &st, nil
}

func (d *Daemon) cacheClear(ctx context.Context, p *rpc.CacheParams) (*rpc.RemovedResult, error) {
	n, err := d.cache.Clear(cachePrefix(p))
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
