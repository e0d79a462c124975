import { stopContainers } from './containers.ts';

export default async function globalTeardown(): Promise<void> {
  await stopContainers();
}
