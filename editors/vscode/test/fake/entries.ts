// History entries shaped like the daemon's, for view and command tests.
import { HistoryEntry } from '../../src/protocol';

export function entry(over: Partial<HistoryEntry> = {}): HistoryEntry {
  return {
    id: 'h-0001',
    time: '2025-12-09T18:24:08.701Z',
    method: 'GET',
    path: '/api/v1/catalog',
    query: 'query=dunk+low',
    status: 200,
    requestId: '6f1c2a9e-4b7d-4a52-9f0e-1d2c3b4a5f60',
    durationMs: 42.4,
    cache: 'miss',
    profile: 'default',
    ...over,
  };
}

export function notFoundEntry(over: Partial<HistoryEntry> = {}): HistoryEntry {
  return entry({
    id: 'h-0002',
    path: '/api/v1/catalog/nope',
    query: undefined,
    status: 404,
    requestId: '0a9b8c7d-1111-2222-3333-444455556666',
    error: { code: 5, codeName: 'NOT_FOUND', message: 'catalog item not found', details: [] },
    diagnostic: {
      severity: 'error',
      title: 'Catalog item not found',
      detail: 'No catalog item has the id "nope".',
      hint: 'Search the catalog first and use a catalog_id from the results.',
    },
    ...over,
  });
}
