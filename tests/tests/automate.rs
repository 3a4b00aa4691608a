//! `tufa automate github|systemd`: the generated workflow parses as YAML
//! with the expected shape, the systemd units pass `systemd-analyze
//! verify` (when the machine has it), no key material is ever written
//! into them, and the exact command line of the generated unit re-signs
//! the timestamp of a real project.

use std::path::Path;
use tufa_tests::*;

/// Sets `expires_days` of `role` in tufa.toml (a longer period puts the
/// current expiry inside the warning window without waiting).
fn set_period(proj: &Path, role: &str, days: u32) {
    let path = proj.join("tufa.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let section = format!("[roles.{role}]\n");
    let start = text.find(&section).unwrap() + section.len();
    let line = start + text[start..].find("expires_days = ").unwrap();
    let end = line + text[line..].find('\n').unwrap();
    let edited = format!("{}expires_days = {days}{}", &text[..line], &text[end..]);
    std::fs::write(&path, edited).unwrap();
}

fn save_destination(proj: &Path, to: &str) {
    let path = proj.join("tufa.toml");
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str(&format!("\n[publish]\nto = \"{to}\"\n"));
    std::fs::write(&path, text).unwrap();
}

/// Every line of every private key's body under `keys`: none may appear
/// in a generated file.
fn key_lines(keys: &Path) -> Vec<String> {
    let mut lines = Vec::new();
    for entry in std::fs::read_dir(keys).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        lines.extend(
            text.lines()
                .filter(|l| !l.starts_with("-----") && l.len() >= 16)
                .map(str::to_string),
        );
    }
    assert!(!lines.is_empty());
    lines
}

fn assert_no_secrets(text: &str, keys: &[String]) {
    assert!(!text.contains("PRIVATE KEY"), "{text}");
    for line in keys {
        assert!(!text.contains(line.as_str()), "key material in {text}");
    }
}

#[test]
fn github_workflow_parses_and_reads_online_keys_from_secrets_only() {
    let tmp = tempfile::tempdir().unwrap();
    let proj = init_project(tmp.path(), &[]);
    save_destination(&proj, "s3://updates/demo");
    let v = tufa(&proj, &["--json", "automate", "github"]).json();
    let a = &v["automation"];
    assert_eq!(a["kind"], "github");
    // Targets' key is at hand here (a file) and not a root key: online.
    assert_eq!(
        a["roles"],
        serde_json::json!(["targets", "snapshot", "timestamp"])
    );
    // A one-day timestamp is flagged 12 hours ahead: every 6 hours.
    assert_eq!(a["every_hours"], 6);
    let secrets: Vec<&str> = a["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        secrets,
        [
            "TUFA_KEY_TARGETS",
            "TUFA_KEY_SNAPSHOT",
            "TUFA_KEY_TIMESTAMP",
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY"
        ]
    );
    let yml = a["files"][0]["contents"].as_str().unwrap();
    assert_eq!(a["files"][0]["name"], "tufa-refresh-demo.yml");
    assert_no_secrets(yml, &key_lines(&proj.join("keys")));
    assert!(!yml.to_ascii_uppercase().contains("TUFA_KEY_ROOT"), "{yml}");
    // The new metadata versions are committed back from the project folder.
    assert!(
        yml.contains("git add -A -- \"repository/metadata\""),
        "{yml}"
    );

    // Parsed by a real YAML parser when the venv has one.
    let py = python();
    let script = r#"
import json, sys, yaml
doc = yaml.safe_load(sys.stdin)
on = doc.get("on", doc.get(True))
steps = doc["jobs"]["refresh"]["steps"]
run = [s for s in steps if s.get("run", "").startswith("tufa refresh")][0]
print(json.dumps({"cron": on["schedule"][0]["cron"], "dispatch": "workflow_dispatch" in on,
  "env": run["env"], "run": run["run"], "uses": [s.get("uses") for s in steps if "uses" in s],
  "permissions": doc["permissions"]}))
"#;
    let parsed = std::process::Command::new(&py)
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().unwrap().write_all(yml.as_bytes())?;
            c.wait_with_output()
        });
    match parsed {
        Ok(out) if out.status.success() => {
            let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(doc["cron"], "17 */6 * * *");
            assert_eq!(doc["dispatch"], true);
            assert_eq!(doc["run"], "tufa refresh");
            assert_eq!(doc["uses"], serde_json::json!(["actions/checkout@v4"]));
            assert_eq!(doc["permissions"]["contents"], "write");
            let env = doc["env"].as_object().unwrap();
            let names: Vec<&String> = env.keys().collect();
            assert_eq!(names.len(), secrets.len(), "{env:?}");
            for name in &secrets {
                assert_eq!(env[*name], format!("${{{{ secrets.{name} }}}}"));
            }
        }
        other => {
            eprintln!("notice: no Python with PyYAML ({other:?}); structural checks only");
            assert!(yml.contains("\non:\n  schedule:\n    - cron: \"17 */6 * * *\""));
            for name in &secrets {
                assert!(yml.contains(&format!("          {name}: ${{{{ secrets.{name} }}}}\n")));
            }
        }
    }

    // A folder destination cannot be reached from a runner: said so.
    let tmp2 = tempfile::tempdir().unwrap();
    let proj2 = init_project(tmp2.path(), &[]);
    save_destination(&proj2, "www");
    let v2 = tufa(&proj2, &["--json", "automate", "github"]).json();
    let warnings = v2["automation"]["warnings"].to_string();
    assert!(warnings.contains("is a folder"), "{warnings}");
    assert!(v2["automation"]["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| !s["name"].as_str().unwrap().starts_with("AWS_")));
}

/// The words of `ExecStart=` (systemd's double quotes, `%%`).
fn exec_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars();
    let mut any = false;
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                quoted = !quoted;
                any = true;
            }
            '\\' if quoted => cur.extend(chars.next()),
            ' ' if !quoted => {
                if any || !cur.is_empty() {
                    words.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            c => cur.push(c),
        }
    }
    if any || !cur.is_empty() {
        words.push(cur);
    }
    words.into_iter().map(|w| w.replace("%%", "%")).collect()
}

#[test]
fn systemd_units_verify_and_their_command_re_signs_the_timestamp() {
    let tmp = tempfile::tempdir().unwrap();
    // A space in the path: the unit must quote it.
    let base = tmp.path().join("my projects");
    let proj = init_project(&base, &["--expires", "timestamp=7"]);
    save_destination(&proj, "www");
    let out = tmp.path().join("units");
    let run = tufa(
        &proj,
        &["automate", "systemd", "--out", out.to_str().unwrap()],
    );
    assert_eq!(run.code, Some(0), "{run:#?}");
    assert!(
        run.stdout.contains("~/.config/systemd/user/"),
        "{}",
        run.stdout
    );
    let service_path = out.join("tufa-refresh-demo.service");
    let timer_path = out.join("tufa-refresh-demo.timer");
    let service = std::fs::read_to_string(&service_path).unwrap();
    let timer = std::fs::read_to_string(&timer_path).unwrap();
    let keys = key_lines(&proj.join("keys"));
    assert_no_secrets(&service, &keys);
    assert_no_secrets(&timer, &keys);
    assert!(timer.contains("\nPersistent=true\n"), "{timer}");
    assert!(timer.contains("\nWantedBy=timers.target\n"), "{timer}");

    match std::process::Command::new("systemd-analyze")
        .arg("verify")
        .arg(&service_path)
        .arg(&timer_path)
        .output()
    {
        Ok(out) => {
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                out.status.success(),
                "systemd-analyze verify: {stderr}\n{service}\n{timer}"
            );
        }
        Err(e) => eprintln!("notice: systemd-analyze is not available ({e}); units not verified"),
    }

    // Make the timestamp due: re-signed every 365 days, 7 days left.
    set_period(&proj, "timestamp", 365);
    let before = read_json(&proj.join("repository/metadata/timestamp.json"));
    let exec = service
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .expect("an ExecStart line");
    let words = exec_words(exec);
    assert_eq!(
        words[0],
        tufa_bin().canonicalize().unwrap().display().to_string()
    );
    let workdir = service
        .lines()
        .find_map(|l| l.strip_prefix("WorkingDirectory="))
        .unwrap()
        .replace("%%", "%");
    let done = std::process::Command::new(&words[0])
        .args(&words[1..])
        .current_dir(&workdir)
        .output()
        .unwrap();
    assert!(done.status.success(), "{done:?}");
    let stdout = String::from_utf8_lossy(&done.stdout);
    assert!(stdout.contains("Re-signed: timestamp."), "{stdout}");
    let after = read_json(&proj.join("repository/metadata/timestamp.json"));
    assert_eq!(
        after["signed"]["version"].as_u64().unwrap(),
        before["signed"]["version"].as_u64().unwrap() + 1
    );
    // And uploaded to the saved destination (relative to the project).
    let served = read_json(&proj.join("www/metadata/timestamp.json"));
    assert_eq!(served["signed"]["version"], after["signed"]["version"]);
}
