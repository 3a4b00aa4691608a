// TypeScript API of tauri-plugin-tufa: the commands `plugin:tufa|<name>`.
// Grant them in a capability with "tufa:default" (or allow-check,
// allow-download, allow-cancel, allow-install, allow-restart one by one).

import { Channel, invoke } from '@tauri-apps/api/core'

/** An available update, computed from verified (signed) metadata. */
export interface UpdateInfo {
  /** The version that would be installed. */
  version: string
  /** The version running now. */
  currentVersion: string
  /** Release notes (`notes` in the release's custom data). */
  notes: string | null
  /** The release's whole custom data (`tufa add --meta '{…}'`). */
  custom: unknown
  /** The publisher marked the release required. */
  required: boolean
  /** Bytes to download. */
  downloadSize: number
  /** A chain of binary patches, or the full archive. */
  method: 'patch' | 'full'
  /** A signed downgrade: the running release was pulled. */
  rollback: boolean
}

/** Phase of a download event. */
export type DownloadPhase = 'downloading' | 'patching' | 'unpacking'

/** One progress event of `download`. */
export interface DownloadEvent {
  phase: DownloadPhase
  /** The file being worked on. */
  file: string
  /** Bytes done in this phase, and in all. */
  done: number
  total: number
  /** Recent speed (0 until measurable). */
  bytesPerSec: number
  /** Seconds left in this phase at that speed. */
  etaSecs: number | null
}

/** What `download` got ready to install. */
export interface Downloaded {
  version: string
  downloadedBytes: number
  /** Why the patches were abandoned for the full archive, if they were. */
  fellBack: string | null
}

/**
 * `now`: swap the install folder in-process (the new version runs after a
 * restart). `onExit`: prepare it beside the install folder; a helper swaps
 * it in when the app exits (required on Windows).
 */
export type InstallMode = 'now' | 'onExit'

/** What `install` did. */
export interface Installed {
  version: string
  mode: InstallMode
}

/**
 * How a command fails: `code` is stable (`offline`, `slow_retrieval`,
 * `metadata_expired`, `verification_failed`, `patch_failed`,
 * `install_failed`, `cancelled`, `config`, `no_update`, `not_downloaded`,
 * `busy`, `not_configured`, `restart_pending`, …), `message` says what happened.
 */
export interface TufaError {
  code: string
  message: string
}

/** Whether a value thrown by a command is a {@link TufaError}. */
export function isTufaError(e: unknown): e is TufaError {
  return typeof e === 'object' && e !== null && 'code' in e && 'message' in e
}

/** Refreshes the signed metadata; `null` when the app is up to date. */
export async function check(): Promise<UpdateInfo | null> {
  return await invoke<UpdateInfo | null>('plugin:tufa|check')
}

/**
 * Downloads the update found by the last `check` (checking first if
 * needed), verifies every byte and rebuilds the new version, calling
 * `onEvent` with progress. Rejects with code `cancelled` after `cancel()`.
 */
export async function download(onEvent?: (event: DownloadEvent) => void): Promise<Downloaded> {
  const channel = new Channel<DownloadEvent>()
  if (onEvent) channel.onmessage = onEvent
  return await invoke<Downloaded>('plugin:tufa|download', { onEvent: channel })
}

/** Stops a running download soon; nothing half-written is kept. */
export async function cancel(): Promise<void> {
  await invoke('plugin:tufa|cancel')
}

/** Installs the downloaded update, now or when the app exits. */
export async function install(mode: InstallMode = 'onExit'): Promise<Installed> {
  return await invoke<Installed>('plugin:tufa|install', { mode })
}

/** Restarts the app into the installed (or staged) version. */
export async function restart(): Promise<void> {
  await invoke('plugin:tufa|restart')
}
