// aliasd: Restart Daemon Connection — a fresh child and a fresh crash budget.
import { Services } from '../services';
import { forgetEndpoints } from './endpoints';

export async function restart(s: Services): Promise<void> {
  s.log.info('restart requested');
  forgetEndpoints();
  await s.restart();
}
