//! Automate: ready-made schedules that keep the metadata fresh without
//! daily clicks. For the open project it writes a GitHub Actions workflow
//! (keys from repository secrets) and a systemd service + timer pair (a
//! machine that holds the online keys), both running the command-line
//! refresh, with where to put each and which secrets to create.
//!
//! The files are configuration for other programs, not messages for the
//! app's user, so their text lives in `templates/automate/` beside this
//! crate (filled here) rather than in string literals of the engine, whose
//! messages never name commands or variables. Only the online roles'
//! keys ever appear, and only by name: no key material is read here.

use super::*;
use crate::policy::warning_window_secs;
use serde::Deserialize;

const GITHUB_YML: &str = include_str!("../../templates/automate/github.yml");
const GITHUB_ENV: &str = include_str!("../../templates/automate/github-env.txt");
const GITHUB_NOTES: &str = include_str!("../../templates/automate/github-notes.txt");
const SERVICE: &str = include_str!("../../templates/automate/tufa-refresh.service");
const TIMER: &str = include_str!("../../templates/automate/tufa-refresh.timer");
const SYSTEMD_NOTES: &str = include_str!("../../templates/automate/systemd-notes.txt");
const SECRETS: &str = include_str!("../../templates/automate/secrets.txt");
const EXEC_START: &str = include_str!("../../templates/automate/exec-start.txt");

/// Which schedule to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum AutomationKind {
    /// A GitHub Actions workflow.
    Github,
    /// A systemd service and timer (user units).
    Systemd,
}

/// One file to save.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AutomationFile {
    /// File name to save it under.
    pub name: String,
    /// Where it goes, in words.
    pub place: String,
    /// Its text.
    pub contents: String,
}

/// A secret the schedule expects (GitHub repository secrets).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AutomationSecret {
    /// Its name, exactly as the workflow reads it.
    pub name: String,
    /// What to put in it.
    pub what: String,
}

/// A schedule for the project: its files and how to set it up.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Automation {
    /// Which one.
    pub kind: AutomationKind,
    /// Roles it re-signs (online roles only, never root).
    pub roles: Vec<TopRole>,
    /// Hours between runs.
    pub every_hours: u32,
    /// Files to save.
    pub files: Vec<AutomationFile>,
    /// Secrets to create (empty for systemd).
    pub secrets: Vec<AutomationSecret>,
    /// Where to put each file and what to do next, one step a line.
    pub steps: Vec<String>,
    /// Things to know before relying on it (no destination saved, a folder
    /// destination a CI runner cannot reach, …).
    pub warnings: Vec<String>,
}

/// An online key by name, with the roles it signs.
pub type OnlineKey = (String, Vec<TopRole>);

/// Hours between runs: at most half the shortest warning window of the
/// roles renewed, so one late or missed run never lets a role expire
/// (a one-day timestamp is flagged 12 hours ahead: every 6 hours); a
/// divisor of 24 so the schedule is the same every day.
pub fn every_hours(periods_days: &[u32]) -> u32 {
    let window_h = periods_days
        .iter()
        .map(|d| warning_window_secs(Some(*d)) / 3600)
        .min()
        .unwrap_or(24);
    let half = (window_h / 2).clamp(1, 24) as u32;
    [24, 12, 8, 6, 4, 3, 2, 1]
        .into_iter()
        .find(|h| *h <= half)
        .unwrap_or(1)
}

fn fill(template: &str, vars: &[(&str, &str)]) -> String {
    let mut out = template.to_string();
    for (name, value) in vars {
        out = out.replace(&format!("@{name}@"), value);
    }
    out
}

fn join_words(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// A path for a systemd unit line: `%` is a specifier there.
fn unit_path(p: &Path) -> String {
    p.display().to_string().replace('%', "%%")
}

/// One word of `ExecStart=`: quoted when it holds a space or a quote.
fn exec_word(word: &str) -> String {
    let word = word.replace('%', "%%");
    if word.contains([' ', '\t', '"', '\'', '\\']) {
        format!("\"{}\"", word.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        word
    }
}

/// A YAML double-quoted scalar's inside.
fn yaml_inner(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// The project folder relative to the Git work tree that holds it ("."
/// when it is the top, or when no work tree holds it).
fn in_git_tree(dir: &Path) -> String {
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    let mut top = Some(dir.as_path());
    while let Some(d) = top {
        if d.join(".git").exists() {
            let rel = dir.strip_prefix(d).unwrap_or(Path::new(""));
            let rel = rel.to_string_lossy().replace('\\', "/");
            return if rel.is_empty() { ".".into() } else { rel };
        }
        top = d.parent();
    }
    ".".into()
}

impl Publisher {
    /// The online roles a schedule re-signs: timestamp and snapshot, and
    /// targets when the project keeps it online (enough of its keys at
    /// hand here, none of them a root key). Never root. With the names of
    /// the keys they need, in the order of `[keys]`.
    pub fn online_roles(&self) -> Result<(Vec<TopRole>, Vec<OnlineKey>)> {
        let status = self.status()?;
        let root_keys = &self.project.role(TopRole::Root)?.keys;
        let targets = self.project.role(TopRole::Targets)?;
        let targets_online = targets.keys.iter().all(|k| !root_keys.contains(k))
            && status
                .keys
                .iter()
                .filter(|k| k.available && targets.keys.contains(&k.name))
                .count() as u64
                >= targets.threshold;
        let mut roles = Vec::new();
        if targets_online {
            roles.push(TopRole::Targets);
        }
        roles.extend([TopRole::Snapshot, TopRole::Timestamp]);
        let mut keys: Vec<OnlineKey> = Vec::new();
        for role in &roles {
            for name in &self.project.role(*role)?.keys {
                // A root key shared with an online role stays out: the
                // refresh reports that role instead of putting root online.
                if root_keys.contains(name) {
                    continue;
                }
                match keys.iter_mut().find(|(n, _)| n == name) {
                    Some((_, rs)) => rs.push(*role),
                    None => keys.push((name.clone(), vec![*role])),
                }
            }
        }
        Ok((roles, keys))
    }

    /// Writes the schedule of `kind` for this project. `tufa` is the
    /// command-line program the systemd unit starts (an absolute path);
    /// the workflow installs its own.
    pub fn automation(&self, kind: AutomationKind, tufa: &Path) -> Result<Automation> {
        let (roles, keys) = self.online_roles()?;
        let periods: Vec<u32> = roles
            .iter()
            .map(|r| self.project.role(*r).map(|c| c.expires_days))
            .collect::<Result<_>>()?;
        let every = every_hours(&periods);
        let every_words = if every == 24 {
            "once a day".to_string()
        } else {
            format!("every {every} hours")
        };
        let role_words = join_words(&roles.iter().map(|r| r.to_string()).collect::<Vec<_>>());
        let app = self.project.app_name.clone();
        let dest = self.project.publish.clone();
        let dest_words = dest
            .as_ref()
            .map_or_else(|| "no destination".to_string(), |d| d.to.clone());
        let mut warnings = Vec::new();
        if dest.is_none() {
            warnings.push(
                "No upload destination is saved for this project: the schedule re-signs but uploads nothing until one is saved in Publish."
                    .to_string(),
            );
        }
        let s3 = dest.as_ref().is_some_and(|d| d.to.starts_with("s3://"));
        let dir = self.dir.canonicalize().unwrap_or_else(|_| self.dir.clone());
        match kind {
            AutomationKind::Github => {
                if dest.is_some() && !s3 {
                    warnings.push(format!(
                        "The saved destination {dest_words} is a folder: a GitHub runner cannot reach it. Save an S3-compatible destination, or use the systemd timer on the machine that has the folder."
                    ));
                }
                let mut secrets = Vec::new();
                for line in SECRETS.lines().filter(|l| !l.starts_with('#')) {
                    let mut cols = line.splitn(3, '\t');
                    let (Some(what_kind), Some(name), Some(what)) =
                        (cols.next(), cols.next(), cols.next())
                    else {
                        continue;
                    };
                    match what_kind {
                        "key" => {
                            for (key, key_roles) in &keys {
                                let upper = key.to_ascii_uppercase().replace('-', "_");
                                let rw = join_words(
                                    &key_roles.iter().map(|r| r.to_string()).collect::<Vec<_>>(),
                                );
                                let vars = [
                                    ("NAME_UPPER", upper.as_str()),
                                    ("NAME", key.as_str()),
                                    ("ROLES", rw.as_str()),
                                ];
                                secrets.push(AutomationSecret {
                                    name: fill(name, &vars),
                                    what: fill(what, &vars),
                                });
                            }
                        }
                        "s3" if s3 => secrets.push(AutomationSecret {
                            name: name.to_string(),
                            what: fill(what, &[("DEST", &dest_words)]),
                        }),
                        _ => {}
                    }
                }
                let env_lines: Vec<String> = secrets
                    .iter()
                    .map(|s| {
                        fill(GITHUB_ENV, &[("SECRET", &s.name)])
                            .trim_end()
                            .to_string()
                    })
                    .collect();
                let project_dir = in_git_tree(&dir);
                // Relative to the project folder, where the step runs.
                let repo_dir = &self.project.repo_dir;
                let metadata = if repo_dir.is_relative() {
                    repo_dir.join("metadata")
                } else {
                    project::relative_to(&repo_dir.join("metadata"), &dir)
                };
                let metadata_dir = metadata.to_string_lossy().replace('\\', "/");
                let secret_names: Vec<String> = secrets.iter().map(|s| s.name.clone()).collect();
                let cron = if every == 24 {
                    "17 3 * * *".to_string()
                } else {
                    format!("17 */{every} * * *")
                };
                let vars = [
                    ("APP", app.as_str()),
                    ("ROLES", role_words.as_str()),
                    ("PROJECT_DIR", &yaml_inner(&project_dir)),
                    ("METADATA_DIR", &yaml_inner(&metadata_dir)),
                    ("SECRET_LIST", &join_words(&secret_names)),
                    ("EVERY_WORDS", &every_words),
                    ("CRON", &cron),
                    ("VERSION", env!("CARGO_PKG_VERSION")),
                    ("ENV_LINES", &env_lines.join("\n")),
                    ("DEST", &dest_words),
                ];
                let name = format!("tufa-refresh-{app}.yml");
                Ok(Automation {
                    kind,
                    roles,
                    every_hours: every,
                    files: vec![AutomationFile {
                        place: format!(
                            ".github/workflows/{name} in the Git repository that holds the project"
                        ),
                        name,
                        contents: fill(GITHUB_YML, &vars),
                    }],
                    secrets,
                    steps: fill(GITHUB_NOTES, &vars)
                        .lines()
                        .map(str::to_string)
                        .collect(),
                    warnings,
                })
            }
            AutomationKind::Systemd => {
                let env_file = format!("%h/.config/tufa/{app}-refresh.env");
                let exec = fill(
                    EXEC_START.trim_end(),
                    &[
                        ("TUFA", &exec_word(&tufa.display().to_string())),
                        ("PROJECT", &exec_word(&dir.display().to_string())),
                    ],
                );
                let calendar = if every == 24 {
                    "*-*-* 03:17:00".to_string()
                } else {
                    format!("*-*-* 00/{every}:17:00")
                };
                let vars = [
                    ("APP", app.as_str()),
                    ("ROLES", role_words.as_str()),
                    ("UNIT_PROJECT_DIR", &unit_path(&dir)),
                    ("UNIT_ENV_FILE", &env_file),
                    ("EXEC_START", &exec),
                    ("EVERY_WORDS", &every_words),
                    ("ON_CALENDAR", &calendar),
                    ("DEST", &dest_words),
                ];
                let place = "~/.config/systemd/user/ of the user who owns the project".to_string();
                Ok(Automation {
                    kind,
                    roles,
                    every_hours: every,
                    files: vec![
                        AutomationFile {
                            name: format!("tufa-refresh-{app}.service"),
                            place: place.clone(),
                            contents: fill(SERVICE, &vars),
                        },
                        AutomationFile {
                            name: format!("tufa-refresh-{app}.timer"),
                            place,
                            contents: fill(TIMER, &vars),
                        },
                    ],
                    secrets: Vec::new(),
                    steps: fill(SYSTEMD_NOTES, &vars)
                        .lines()
                        .map(|l| l.replace("%h/", "~/"))
                        .collect(),
                    warnings,
                })
            }
        }
    }

    /// Writes the files of `automation` into `dir` (created if missing);
    /// returns their paths.
    pub fn write_automation(automation: &Automation, dir: &Path) -> Result<Vec<PathBuf>> {
        project::ensure_dir(dir)?;
        let mut written = Vec::new();
        for file in &automation.files {
            let path = dir.join(&file.name);
            std::fs::write(&path, &file.contents)
                .context(|| format!("writing {}", path.display()))?;
            written.push(path);
        }
        Ok(written)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_often_enough_for_the_shortest_window() {
        // 1-day timestamp: flagged 12 h ahead, so every 6 hours.
        assert_eq!(every_hours(&[30, 7, 1]), 6);
        // 7-day snapshot alone: flagged 1.4 days ahead: daily would do,
        // half of 33 h is 16: every 12 hours.
        assert_eq!(every_hours(&[7]), 12);
        assert_eq!(every_hours(&[365]), 24);
    }

    #[test]
    fn exec_words_are_quoted_and_specifiers_escaped() {
        assert_eq!(exec_word("/usr/bin/tufa"), "/usr/bin/tufa");
        assert_eq!(exec_word("/home/a b/p"), "\"/home/a b/p\"");
        assert_eq!(exec_word("/x/100%"), "/x/100%%");
    }
}
