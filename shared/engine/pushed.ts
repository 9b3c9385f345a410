/** Pushed or already-confirmed kinds (hooks, heartbeats): one virtual region, no failures or quorum. */
export { isPushed } from '../checks/index.ts';
