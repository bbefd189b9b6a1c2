//! The progress line: on a terminal only, never with `-q`, never when piped. The
//! terminal is a real pseudo-terminal from util-linux `script`; the delay before a
//! line shows is set to zero (`GIT_WO_PROGRESS_DELAY_MS`, test-only) so that small
//! fixtures show it.

use crate::common;

use std::process::Command;

use common::{Scenario, isolate};

/// Run git-wo `args` in `s` under a pseudo-terminal; `None` when `script` is missing.
fn on_terminal(s: &Scenario, args: &str) -> Option<String> {
    let bin = assert_cmd::cargo::cargo_bin("git-wo");
    let mut cmd = Command::new("script");
    cmd.args([
        "-qec",
        &format!("{} {args} >/dev/null", bin.display()),
        "/dev/null",
    ])
    .current_dir(&s.repo)
    .env("GIT_WO_PROGRESS_DELAY_MS", "0")
    // The caches' racy window (test-only), so that settling takes a fraction of 2 s.
    .env("GIT_WO_RACY_MS", "300");
    isolate(&mut cmd, s.tmp.path());
    let out = cmd.output().ok()?;
    assert!(
        out.status.success() || out.status.code() == Some(1),
        "{out:?}"
    );
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn cold(s: &Scenario) {
    let _ = std::fs::remove_dir_all(s.repo.join(".git/wo"));
}

#[test]
fn progress_shows_on_a_terminal_only() {
    let s = Scenario::build("baseline");
    // Piped: never a progress line, whatever the delay.
    let mut piped = s.wo(&["list"]);
    piped.env("GIT_WO_PROGRESS_DELAY_MS", "0");
    let (_, _, err) = common::run(piped);
    assert!(!err.contains("Reading"), "{err}");
    if !common::tool_present("util-linux script", common::runs("script".as_ref())) {
        return;
    }
    cold(&s);
    let Some(tty) = on_terminal(&s, "list") else {
        return;
    };
    assert!(tty.contains("Reading WOs: 100% (60/60), done."), "{tty:?}");
    cold(&s);
    let quiet = on_terminal(&s, "-q list").expect("script ran");
    assert!(!quiet.contains("Reading"), "-q: {quiet:?}");
    // Warm (once nothing is racy): nothing is read, so there is nothing to show.
    std::thread::sleep(std::time::Duration::from_millis(400));
    let _ = on_terminal(&s, "list");
    let warm = on_terminal(&s, "list").expect("script ran");
    assert!(!warm.contains("Reading WOs"), "warm: {warm:?}");
}

#[test]
fn init_shows_its_import() {
    if !common::tool_present("util-linux script", common::runs("script".as_ref())) {
        return;
    }
    let s = Scenario::build("clean");
    let Some(tty) = on_terminal(&s, "init") else {
        return;
    };
    assert!(
        tty.contains("Writing records: 100% (7/7), done."),
        "{tty:?}"
    );
}
