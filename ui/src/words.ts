// TUF's terms in plain words, shown next to where they appear. Wording
// only: what is due, valid or allowed comes from the engine.
import type { Role } from "./api";
import type { Custody } from "./generated/Custody";
import { html, type Html } from "./html";

/** What each role's metadata file is for. */
export const ROLE_HELP: Record<Role, string> = {
  root: "the list of keys everything else is checked against; re-signed offline, so give it long",
  targets: "the list of your releases and their hashes; re-signed with every release",
  snapshot: "pins which targets list is current; re-signed with every release",
  timestamp: "a short-lived note that says the copy is fresh, so a frozen or replayed server is noticed",
};

/** The glossary under role tables. */
export function glossary(): Html {
  return html`<details class="explain"><summary>What do role, signature, threshold and expiry mean?</summary>
    <dl>
      <dt>Role</dt><dd>Each metadata file clients download has a role and its own keys: ${Object.entries(ROLE_HELP).map(
        ([r, w]) => html`<br/><strong>${r}</strong>: ${w}.`,
      )}</dd>
      <dt>Signatures and threshold</dt><dd>A file counts only when enough of its role's keys signed it: the threshold
        ("2 signatures needed" means any two of the role's keys). More keys than the threshold lets you lose one.</dd>
      <dt>Expiry</dt><dd>Every file says when it stops being valid; clients refuse an expired one, so each role is
        re-signed before then. Short periods (timestamp) limit how long an attacker could replay an old copy.</dd>
      <dt>Version</dt><dd>Goes up by one with each signing; clients refuse to go back to a lower one.</dd>
    </dl></details>`;
}

/** A role name with its meaning on hover. */
export function roleName(r: Role): Html {
  return html`<abbr class="role-name" title="${ROLE_HELP[r]}">${r}</abbr>`;
}

/** How a key is kept, in words (the engine's `Custody`). */
export function custodyName(c: Custody): string {
  switch (c) {
    case "keyring":
      return "OS keyring";
    case "file":
      return "key file";
    case "encrypted_file":
      return "encrypted key file";
    case "environment":
      return "environment variable (CI secret)";
    case "tufup_file":
      return "tufup key file";
    case "custodian":
      return "with its custodian (public key only)";
  }
}
