// aliasd: Use Profile — pick the active token from alias/token/list.
import * as vscode from 'vscode';
import { Methods, TokenInfo, TokenListResult } from '../protocol';
import { Services } from '../services';

export async function useProfile(s: Services): Promise<string | undefined> {
  const list = await s.rpc.request<TokenListResult>(Methods.tokenList, {});
  const tokens = list.tokens ?? [];
  if (tokens.length === 0) {
    const add = await vscode.window.showInformationMessage('aliasd: no tokens yet.', 'Add Token');
    if (add === 'Add Token') await vscode.commands.executeCommand('aliasd.addToken');
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(
    tokens.map((t: TokenInfo) => ({
      label: t.name,
      description: `${t.fingerprint} · ${t.storage}`,
      detail: t.active ? 'active' : undefined,
      picked: t.active,
      name: t.name,
    })),
    { title: 'aliasd: Use Profile', placeHolder: 'Profile to use for requests' },
  );
  if (!pick) return undefined;
  await s.rpc.request<TokenListResult>(Methods.tokenUse, { name: pick.name });
  s.log.info(`active profile: ${pick.name}`);
  vscode.window.setStatusBarMessage(`aliasd: using profile "${pick.name}"`, 4000);
  await s.status.refresh();
  return pick.name;
}
