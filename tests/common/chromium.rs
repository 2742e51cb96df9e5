//! A real headless Chromium (Debian's `chromium`, which the test command installs) opening a
//! page of ours from disk, with every host name unresolvable, so a page that needed the
//! network would show it. Returns the DOM after the page's scripts ran, and keeps a
//! screenshot under `target/test-artifacts/NAME.png`.

use std::path::{Path, PathBuf};
use std::process::Command;

fn browser() -> String {
    if let Ok(b) = std::env::var("ASSENT_CHROMIUM") {
        return b;
    }
    for b in ["chromium", "chromium-browser", "google-chrome"] {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {b}")])
            .output()
            .is_ok_and(|o| o.status.success());
        if found {
            return b.to_string();
        }
    }
    panic!(
        "no Chromium here: ./scripts/test.sh installs Debian's chromium (or set ASSENT_CHROMIUM)"
    )
}

fn run(page: &Path, what: &[String]) -> std::process::Output {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new(browser())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--no-first-run",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            &format!("--user-data-dir={}", profile.path().display()),
            "--window-size=1000,9000",
        ])
        .args(what)
        .arg(format!("file://{}", page.canonicalize().unwrap().display()))
        .output()
        .expect("cannot run Chromium");
    assert!(
        out.status.success(),
        "Chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Opens `page`; returns its DOM after load and keeps a screenshot as `NAME.png`.
pub fn render(page: &Path, name: &str) -> String {
    let artifacts = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/test-artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let shot = artifacts.join(format!("{name}.png"));
    let _ = std::fs::remove_file(&shot);
    run(page, &[format!("--screenshot={}", shot.display())]);
    let png = std::fs::read(&shot).expect("Chromium wrote no screenshot");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "an empty screenshot"
    );
    let dom = run(page, &["--dump-dom".to_string()]);
    String::from_utf8(dom.stdout).unwrap()
}
