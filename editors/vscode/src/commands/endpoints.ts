// The endpoint catalog, fetched once per daemon session.
import { Rpc } from '../client';
import { EndpointInfo, EndpointsResult, Methods } from '../protocol';

let cached: { rpc: Rpc; endpoints: EndpointInfo[] } | undefined;

/** listEndpoints returns alias/endpoints, cached per connection object. */
export async function listEndpoints(rpc: Rpc): Promise<EndpointInfo[]> {
  if (cached && cached.rpc === rpc) return cached.endpoints;
  const r = await rpc.request<EndpointsResult>(Methods.endpoints, {});
  cached = { rpc, endpoints: r.endpoints ?? [] };
  return cached.endpoints;
}

/** forgetEndpoints drops the cache (after a daemon restart). */
export function forgetEndpoints(): void {
  cached = undefined;
}
