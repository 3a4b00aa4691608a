//! Which release to update to, and whether by patches or by the full
//! archive (tufup's semantics). The rule is policy, shared with the
//! publisher's preview of what clients download: it lives in
//! [`crate::policy`] and is re-exported here for the client.

pub(crate) use crate::policy::select_with;
