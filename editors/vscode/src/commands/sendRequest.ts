// aliasd: Send Request — pick an endpoint, fill its parameters, show the
// response as JSON with status, time and request ID in a header.
import * as vscode from 'vscode';
import { resultTitle } from '../documents';
import { responseDocument } from '../format';
import { EndpointInfo, Methods, RequestParams, RequestResult } from '../protocol';
import { encodeQuery } from '../query';
import { Services } from '../services';
import { listEndpoints } from './endpoints';
import { askParams, endpointPickItems, expandPath } from './params';

export interface SentRequest {
  params: RequestParams;
  result: RequestResult;
}

export async function sendRequest(s: Services): Promise<SentRequest | undefined> {
  const endpoints = await listEndpoints(s.rpc);
  const pick = await vscode.window.showQuickPick(endpointPickItems(endpoints), {
    title: 'aliasd: Send Request',
    placeHolder: 'Endpoint (type to filter by method, path, name or summary)',
    matchOnDescription: true,
    matchOnDetail: true,
    ignoreFocusOut: true,
  });
  if (!pick) return undefined;
  return sendTo(s, pick.endpoint);
}

/** sendTo asks for the parameters of one endpoint and sends the request. */
export async function sendTo(s: Services, ep: EndpointInfo): Promise<SentRequest | undefined> {
  const values = await askParams(ep, { title: `${ep.method} ${ep.path}` });
  if (!values) return undefined;
  const params: RequestParams = { method: ep.method, path: expandPath(ep.path, values.path) };
  if (Object.keys(values.query).length > 0) params.query = values.query;
  if (values.body) params.body = values.body;
  const result = await execute(s, params);
  return { params, result };
}

/** execute sends one request with a cancellable progress and opens the response. */
export async function execute(s: Services, params: RequestParams): Promise<RequestResult> {
  const q = encodeQuery(params.query);
  const target = params.path + (q ? `?${q}` : '');
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `aliasd: ${params.method} ${target}`, cancellable: true },
    (_progress, token) => s.rpc.request<RequestResult>(Methods.request, params, token),
  );
  s.log.info(
    `${params.method} ${target} -> ${result.status || 'no response'} in ${Math.round(result.durationMs)} ms, ` +
      `request ID ${result.requestId || 'none'}, cache ${result.cache || '-'}`,
  );
  await s.results.open(resultTitle(result.status, params.method, params.path), responseDocument(params.method, target, result));
  return result;
}
