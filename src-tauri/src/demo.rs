//! The demo repository offered on first start: three small releases of an
//! app called "demo", so a newcomer sees a real workflow in a minute.

use std::path::{Path, PathBuf};
use tufa::progress::NoProgress;
use tufa::publisher::{AddRequest, InitOptions, KeyStore, Publisher};

/// Writes a sample bundle for `version` (a script, data that changes a
/// little between versions, a file only later versions have).
pub fn write_bundle(dir: &Path, version: &str, index: usize) -> std::io::Result<()> {
    std::fs::create_dir_all(dir.join("lib"))?;
    std::fs::write(dir.join("VERSION"), format!("{version}\n"))?;
    std::fs::write(
        dir.join("demo.sh"),
        format!("#!/bin/sh\necho \"demo {version}\"\n"),
    )?;
    let mut data = String::new();
    for i in 0..20_000 {
        let changed = if i % 997 == 0 && index > 0 {
            format!(" (changed in {version})")
        } else {
            String::new()
        };
        data.push_str(&format!(
            "{i:06} line of the demo's core library{changed}\n"
        ));
    }
    std::fs::write(dir.join("lib/core.txt"), data)?;
    if index > 0 {
        std::fs::write(
            dir.join(format!("lib/feature-{version}.txt")),
            format!("added in {version}\n"),
        )?;
    }
    Ok(())
}

/// Creates the demo project in `dir` with releases 1.0 and 1.1 published
/// and bundle folders for 1.2 left ready to add. Keys go to files so the
/// demo works without an OS keyring.
pub fn create(dir: &Path) -> tufa::Result<Publisher> {
    let bundles = dir.join("bundles");
    for (i, v) in ["1.0", "1.1", "1.2"].iter().enumerate() {
        write_bundle(&bundles.join(v), v, i)
            .map_err(|e| tufa::Error::io(format!("writing demo bundle {v}"), e))?;
    }
    let mut opts = InitOptions::new("demo");
    opts.key_store = KeyStore::File;
    let (publisher, _) = Publisher::init(&dir.join("project"), &opts)?;
    for v in ["1.0", "1.1"] {
        let mut req = AddRequest::new(bundles.join(v), v);
        req.user = tufa::policy::notes_metadata(&format!("Demo release {v}"));
        publisher.add(&req, &mut NoProgress)?;
    }
    Ok(publisher)
}

/// Where the demo lives.
pub fn demo_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("demo")
}
