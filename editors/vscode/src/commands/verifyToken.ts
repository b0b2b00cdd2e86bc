// aliasd: Verify Token — one call to the API with the active token.
import * as vscode from 'vscode';
import { Methods, TokenVerifyResult } from '../protocol';
import { Services } from '../services';

export async function verifyToken(s: Services): Promise<TokenVerifyResult> {
  const r = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Window, title: 'aliasd: verifying token' },
    () => s.rpc.request<TokenVerifyResult>(Methods.tokenVerify, {}),
  );
  const who = r.name ? `"${r.name}"` : '';
  if (r.ok) {
    s.log.info(`token ${who} verified: HTTP ${r.status}, request ID ${r.requestId}`);
    void vscode.window.showInformationMessage(`aliasd: token ${who} works (HTTP ${r.status}, request ID ${r.requestId}).`);
  } else {
    const why = r.diagnostic ? `${r.diagnostic.title}: ${r.diagnostic.detail}` : `HTTP ${r.status}`;
    s.log.warn(`token ${who} failed verification: ${why} (request ID ${r.requestId || 'none'})`);
    void vscode.window.showWarningMessage(`aliasd: token ${who} failed: ${why} (request ID ${r.requestId || 'none'}).`);
  }
  return r;
}
