// Typed wrappers over the app's commands. Errors arrive as {code, message}.
import { invoke } from "@tauri-apps/api/core";
// What the commands return: generated from the Rust types (ts-rs, see
// src-tauri/src/bindings.rs), never written by hand.
import type { AddEstimate } from "./generated/AddEstimate";
import type { Added } from "./generated/Added";
import type { AddPlan } from "./generated/AddPlan";
import type { AppInfo } from "./generated/AppInfo";
import type { PublishOutcome } from "./generated/PublishOutcome";
import type { RequestView } from "./generated/RequestView";
import type { Status } from "./generated/Status";
import type { TopRole } from "./generated/TopRole";
import type { UploadReport } from "./generated/UploadReport";
import type { VerifyReport } from "./generated/VerifyReport";
import type { StagedChange } from "./generated/StagedChange";
import type { PublishedState } from "./generated/PublishedState";
import type { RemovalPreview } from "./generated/RemovalPreview";
import type { Refreshed } from "./generated/Refreshed";
import type { Remedy } from "./generated/Remedy";
import type { RolloutSet } from "./generated/RolloutSet";
import type { PullPreview } from "./generated/PullPreview";
import type { PullOutcome } from "./generated/PullOutcome";
import type { Repointed } from "./generated/Repointed";
import type { Shift } from "./generated/Shift";
import type { CredentialStatus } from "./generated/CredentialStatus";
import type { ConnectionTest } from "./generated/ConnectionTest";
import type { PeriodChange } from "./generated/PeriodChange";
import type { Automation } from "./generated/Automation";
import type { AutomationKind } from "./generated/AutomationKind";
import type { SelfUpdateInfo } from "./generated/SelfUpdateInfo";
import type { Merged } from "./generated/Merged";
import type { CustodianKey } from "./generated/CustodianKey";
export type { AddEstimate, Added, AddPlan, AppInfo, PublishOutcome, RequestView, Status, UploadReport, VerifyReport };
export type { StagedChange, PublishedState, RemovalPreview, Refreshed, Remedy };
export type { ClientDownload } from "./generated/ClientDownload";
export type { Release } from "./generated/Release";
export type { RoleStatus } from "./generated/RoleStatus";
export type { Severity } from "./generated/Severity";
export type { PlanWarning } from "./generated/PlanWarning";
export type { Rollout } from "./generated/Rollout";
export type { RolloutSet, PullPreview, PullOutcome, Repointed, Shift, CredentialStatus, ConnectionTest, PeriodChange };
export type { Automation, AutomationKind, SelfUpdateInfo, Merged };

/** A destination as the upload takes it: null or blank parts fall back to the saved ones. */
export interface DestinationArgs {
  to: string | null;
  endpoint: string | null;
  region: string | null;
}

/** A change of a release's staged rollout (the engine's `RolloutChange`). */
export type RolloutArgs = { kind: "percent"; percent: number } | { kind: "pause" } | { kind: "pull" };

export interface AppError {
  code: string;
  message: string;
  /** The engine's remedy in words (a button label), when it knows one. */
  remedy_label?: string | null;
  /** The engine's remedy, for the app to act on. */
  remedy?: Remedy | null;
}

/** Remove the latest release of a stream (null: the platform-less one), or keep the newest `keep` of every stream. */
export type Removal = { kind: "latest"; platform: string | null } | { kind: "prune"; keep: number };

export function isAppError(e: unknown): e is AppError {
  return typeof e === "object" && e !== null && "code" in e && "message" in e;
}

export function errorText(e: unknown): string {
  if (isAppError(e)) return e.remedy_label ? `${e.message} (${e.remedy_label})` : e.message;
  return String(e);
}

export type Role = TopRole;
export const ROLES: Role[] = ["root", "targets", "snapshot", "timestamp"];

export interface ReleaseArgs {
  bundle: string;
  version: string;
  required: boolean;
  notes: string;
}

export const api = {
  appInfo: () => invoke<AppInfo>("app_info"),
  selfUpdateInfo: () => invoke<SelfUpdateInfo>("self_update_info"),
  saveUpdateUrl: (url: string) => invoke<SelfUpdateInfo>("save_update_url", { url }),
  openProject: (dir: string) => invoke<Status>("open_project", { dir }),
  createProject: (args: {
    dir: string;
    app: string;
    key_store: string;
    expires: Partial<Record<Role, number>>;
    thresholds: Partial<Record<Role, number>>;
    /** Root keys as files encrypted with it; null: with the other keys. */
    root_passphrase: string | null;
  }) => invoke<Status>("create_project", { args }),
  createDemo: () => invoke<Status>("create_demo"),
  status: () => invoke<Status>("status"),
  suggestVersion: (bundle: string | null = null) => invoke<string>("suggest_version", { bundle }),
  planRelease: (args: ReleaseArgs) => invoke<AddPlan>("plan_release", { args }),
  estimateRelease: (bundle: string) => invoke<AddEstimate>("estimate_release", { bundle }),
  addRelease: (args: ReleaseArgs) => invoke<Added>("add_release", { args }),
  cancel: () => invoke<void>("cancel"),
  signRole: (role: Role, expiresDays: number | null) =>
    invoke<PublishOutcome>("sign_role", { role, expiresDays }),
  rootChange: (change: Record<string, unknown>) => invoke<RequestView>("root_change", { change }),
  requestStatus: (paths: string[]) => invoke<RequestView>("request_status", { paths }),
  publishRequest: (paths: string[]) => invoke<PublishOutcome>("publish_request", { paths }),
  signRequestHere: (path: string, fingerprint: string) => invoke<RequestView>("sign_request_here", { path, fingerprint }),
  createHeldKey: (path: string, passphrase: string) => invoke<CustodianKey>("create_held_key", { path, passphrase }),
  saveRequestCopy: (path: string, dest: string) => invoke<string>("save_request_copy", { path, dest }),
  mergeRequestCopy: (path: string, copy: string) => invoke<Merged>("merge_request_copy", { path, copy }),
  custodianSign: (request: string, keyFile: string | null, keyringEntry: string | null, passphrase: string | null, fingerprint: string) =>
    invoke<RequestView>("custodian_sign", { request, keyFile, keyringEntry, passphrase, fingerprint }),
  adoptTufup: (dir: string, keysDir: string | null) => invoke<Status>("adopt_tufup", { dir, keysDir }),
  pickPath: (folder: boolean) => invoke<string | null>("pick_path", { folder }),
  automation: (kind: AutomationKind) => invoke<Automation>("automation", { kind }),
  saveAutomation: (kind: AutomationKind, dir: string) => invoke<string[]>("save_automation", { kind, dir }),
  upload: (to: string | null, endpoint: string | null) => invoke<UploadReport>("upload", { to, endpoint }),
  verifyPublished: (url: string) => invoke<VerifyReport>("verify_published", { url }),
  stagedChange: () => invoke<StagedChange>("staged_change"),
  signStaged: (keyFile: string | null, keyringEntry: string | null, passphrase: string | null) =>
    invoke<PublishOutcome>("sign_staged", { keyFile, keyringEntry, passphrase }),
  discardStaged: () => invoke<boolean>("discard_staged"),
  exportKey: (name: string, dest: string, passphrase: string, keyPassphrase: string | null = null) =>
    invoke<string>("export_key", { name, dest, passphrase, keyPassphrase }),
  moveKey: (name: string, to: string, passphrase: string | null) => invoke<string>("move_key", { name, to, passphrase }),
  previewRemoval: (removal: Removal) => invoke<RemovalPreview>("preview_removal", { removal }),
  removeReleases: (removal: Removal) => invoke<PublishOutcome>("remove_releases", { removal }),
  publishedState: () => invoke<PublishedState>("published_state"),
  saveDestination: (to: string, endpoint: string | null, region: string | null) =>
    invoke<PublishedState>("save_destination", { to, endpoint, region }),
  refreshMetadata: () => invoke<Refreshed>("refresh_metadata"),
  setRollout: (version: string, platform: string | null, change: RolloutArgs) =>
    invoke<RolloutSet>("set_rollout", { version, platform, change }),
  previewPull: (version: string, platform: string | null) => invoke<PullPreview[]>("preview_pull", { version, platform }),
  destinationCredentials: (d: DestinationArgs) => invoke<CredentialStatus>("destination_credentials", { ...d }),
  saveCredentials: (d: DestinationArgs, accessKeyId: string, secretAccessKey: string) =>
    invoke<CredentialStatus>("save_credentials", { ...d, accessKeyId, secretAccessKey }),
  forgetCredentials: (d: DestinationArgs) => invoke<CredentialStatus>("forget_credentials", { ...d }),
  testDestination: (d: DestinationArgs) => invoke<ConnectionTest>("test_destination", { ...d }),
  setExpiryPeriod: (role: Role, days: number) => invoke<PeriodChange>("set_expiry_period", { role, days }),
};
