// The open project's last status, shared by the screens.
import { api, type Status } from "./api";

export let current: Status | null = null;

export function setCurrent(s: Status | null): void {
  current = s;
}

export async function reloadStatus(): Promise<Status> {
  current = await api.status();
  return current;
}
