// Typed wrappers over the app's commands. Errors arrive as {code, message}.
import { invoke } from "@tauri-apps/api/core";
import type { ClientDownload } from "./chart";

export interface AppError {
  code: string;
  message: string;
  /** The engine's remedy in words (a button label), when it knows one. */
  remedy_label?: string | null;
}

export function isAppError(e: unknown): e is AppError {
  return typeof e === "object" && e !== null && "code" in e && "message" in e;
}

export function errorText(e: unknown): string {
  if (isAppError(e)) return e.remedy_label ? `${e.message} (${e.remedy_label})` : e.message;
  return String(e);
}

export type Role = "root" | "targets" | "snapshot" | "timestamp";
export const ROLES: Role[] = ["root", "targets", "snapshot", "timestamp"];

export interface RoleStatus {
  role: Role;
  version: number;
  expires: string;
  expires_in_secs: number;
  signatures: number;
  threshold: number;
  warning: string | null;
}

export interface PatchInfo {
  name: string;
  size: number;
  tar_size: number;
  tar_hash: string;
}

export interface Release {
  version: string;
  archive: string;
  archive_size: number;
  required: boolean;
  user: { notes?: string } | null;
  patch: PatchInfo | null;
  published?: string;
}

export interface KeyStatus {
  name: string;
  roles: Role[];
  keyid: string;
  location: string;
  owner: string | null;
  available: boolean;
}

export interface Status {
  app: string;
  repository: string;
  roles: RoleStatus[];
  releases: Release[];
  keys: KeyStatus[];
  staged: string[];
  publish_to: string | null;
}

export interface UploadReport {
  uploaded: string[];
  skipped: string[];
  deleted: string[];
  not_listed: string[];
  bytes: number;
}

export interface VerifyReport {
  url: string;
  root_version: number | null;
  targets_checked: number;
  bytes_checked: number;
  problems: string[];
  warnings: string[];
  trust: string;
}

export interface FileInfo {
  name: string;
  size: number;
  sha256: string;
}

export interface VersionChange {
  role: Role;
  from: number;
  to: number;
}

export interface AddPlan {
  app: string;
  version: string;
  previous: string | null;
  bundle_bytes: number;
  tar_size: number;
  tar_hash: string;
  archive: FileInfo;
  patch: FileInfo | null;
  patch_ratio: number | null;
  required: boolean;
  clients: ClientDownload[];
  metadata: VersionChange[];
}

export interface FileChange {
  path: string;
  old_size: number | null;
  new_size: number | null;
}

export interface AddEstimate {
  previous: string | null;
  bundle_bytes: number;
  files: number;
  unchanged_files: number;
  unchanged_bytes: number;
  changed: FileChange[];
  added: FileChange[];
  removed: FileChange[];
  changed_bytes: number;
  added_bytes: number;
  archive_estimate: number;
  patch_low: number;
  patch_high: number;
  seconds: number;
}

export interface Waiting {
  role: Role;
  signatures: number;
  threshold: number;
  missing: string[];
}

export interface PublishOutcome {
  published: boolean;
  written: string[];
  removed: string[];
  versions: VersionChange[];
  waiting: Waiting[];
}

export interface ThresholdStatus {
  signatures: number;
  threshold: number;
  missing: string[];
}

export interface RequestStatus {
  summary: string[];
  fingerprint: string;
  old_root: ThresholdStatus;
  new_root: ThresholdStatus;
  invalid_signatures: string[];
  complete: boolean;
}

export interface RequestView {
  path: string;
  app: string;
  base_version: number;
  status: RequestStatus;
}

export interface AppInfo {
  version: string;
  recent: string[];
  project: string | null;
  demo_dir: string;
  auto_demo: boolean;
}

export interface ReleaseArgs {
  bundle: string;
  version: string;
  required: boolean;
  notes: string;
}

export const api = {
  appInfo: () => invoke<AppInfo>("app_info"),
  openProject: (dir: string) => invoke<Status>("open_project", { dir }),
  createProject: (args: {
    dir: string;
    app: string;
    key_store: string;
    expires: Partial<Record<Role, number>>;
    thresholds: Partial<Record<Role, number>>;
  }) => invoke<Status>("create_project", { args }),
  createDemo: () => invoke<Status>("create_demo"),
  status: () => invoke<Status>("status"),
  suggestVersion: () => invoke<string>("suggest_version"),
  planRelease: (args: ReleaseArgs) => invoke<AddPlan>("plan_release", { args }),
  estimateRelease: (bundle: string) => invoke<AddEstimate>("estimate_release", { bundle }),
  addRelease: (args: ReleaseArgs) =>
    invoke<{ plan: AddPlan; outcome: PublishOutcome; repository: string }>("add_release", { args }),
  cancel: () => invoke<void>("cancel"),
  signRole: (role: Role, expiresDays: number | null) =>
    invoke<PublishOutcome>("sign_role", { role, expiresDays }),
  rootChange: (change: Record<string, unknown>) => invoke<RequestView>("root_change", { change }),
  requestStatus: (paths: string[]) => invoke<RequestView>("request_status", { paths }),
  publishRequest: (paths: string[]) => invoke<PublishOutcome>("publish_request", { paths }),
  signRequestHere: (path: string, fingerprint: string) => invoke<RequestView>("sign_request_here", { path, fingerprint }),
  custodianSign: (request: string, keyFile: string | null, keyringEntry: string | null, passphrase: string | null, fingerprint: string) =>
    invoke<RequestView>("custodian_sign", { request, keyFile, keyringEntry, passphrase, fingerprint }),
  adoptTufup: (dir: string, keysDir: string | null) => invoke<Status>("adopt_tufup", { dir, keysDir }),
  pickPath: (folder: boolean) => invoke<string | null>("pick_path", { folder }),
  upload: (to: string | null, endpoint: string | null) => invoke<UploadReport>("upload", { to, endpoint }),
  verifyPublished: (url: string) => invoke<VerifyReport>("verify_published", { url }),
};
