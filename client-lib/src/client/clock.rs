//! The clock policy.
//!
//! TUF's freeze protection needs "now" to reject expired metadata; tough
//! refuses to run at all once the system clock has stepped back, which
//! would lock out a desktop user who corrects a wrong clock. Tufa keeps its
//! own *latest known time* instead: the latest system time at which a
//! refresh succeeded. Expiry is checked against
//! `max(system time, latest known time)`:
//!
//! - a clock set back cannot make expired metadata acceptable again, since
//!   expiry is judged at the latest time ever seen (freeze protection
//!   holds), and updates keep working;
//! - a clock set far ahead makes metadata look expired and the refresh
//!   fails, but that time is *not* recorded (only successful refreshes
//!   move the latest known time), so setting the clock right recovers;
//! - rollback protection does not depend on the clock: the versions of
//!   trusted metadata are kept in the datastore as before.

use crate::error::IoContext;
use crate::Result;
use jiff::Timestamp;
use std::path::Path;

const FILE: &str = "latest-known-time.json";

/// The time against which expiry is judged, and the raw system time.
#[derive(Debug, Clone, Copy)]
pub struct Now {
    /// System time.
    pub system: Timestamp,
    /// max(system, latest known).
    pub effective: Timestamp,
}

/// Reads the latest known time kept in `dir`.
pub fn now(dir: &Path) -> Now {
    let system = Timestamp::now();
    let latest = std::fs::read(dir.join(FILE))
        .ok()
        .and_then(|b| serde_json::from_slice::<Timestamp>(&b).ok());
    Now {
        system,
        effective: latest.map_or(system, |l| l.max(system)),
    }
}

/// Records a successful refresh at `now`.
pub fn record_success(dir: &Path, now: Now) -> Result<()> {
    let bytes = serde_json::to_vec(&now.effective)
        .map_err(|e| crate::Error::encoding("the clock record", e))?;
    let path = dir.join(FILE);
    let tmp = dir.join(format!("{FILE}.tmp"));
    std::fs::write(&tmp, bytes).context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, &path).context(|| format!("writing {}", path.display()))
}
