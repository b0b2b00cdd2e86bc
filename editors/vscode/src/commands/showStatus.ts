// aliasd: Show Status — alias/status as a JSON document.
import { Methods, StatusResult } from '../protocol';
import { Services } from '../services';
import { statusView } from '../statusBar';

export async function showStatus(s: Services): Promise<StatusResult> {
  const st = await s.rpc.request<StatusResult>(Methods.status, {});
  const view = statusView(st);
  const head = view.tooltip
    .split('\n')
    .map((l) => `// ${l}`)
    .join('\n');
  await s.results.open('aliasd status.jsonc', `${head}\n${JSON.stringify(st, null, 2)}\n`);
  await s.status.refresh();
  return st;
}
