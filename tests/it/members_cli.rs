//! `kaizen-wa member …` end to end: the secret is printed once, on the last
//! line, and only an argon2 hash of it is stored.

use std::path::Path;
use std::process::Output;

use kaizen_wa::members::Members;

use crate::common::kaizen_wa;

fn run(members: &Path, args: &[&str]) -> Output {
    kaizen_wa()
        .args(args)
        .env("KAIZEN_WA_MEMBERS", members)
        .output()
        .expect("runs kaizen-wa")
}

#[test]
fn member_add_prints_the_secret_on_the_last_line_and_stores_only_a_hash() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("members.toml");
    let out = run(&file, &["member", "add", "yamada"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let secret = stdout.lines().last().unwrap();
    assert_eq!(secret.len(), 64, "{stdout}");
    assert!(
        secret.bytes().all(|b| b.is_ascii_hexdigit()),
        "the last line is the secret alone: {secret:?}"
    );

    let stored = std::fs::read_to_string(&file).unwrap();
    assert!(!stored.contains(secret), "the secret must not be stored");
    assert!(stored.contains("$argon2id$"));
    let members = Members::load(&file).unwrap();
    assert_eq!(members.verify(secret).unwrap().as_str(), "yamada");
    let first = if secret.starts_with('0') { '1' } else { '0' };
    let wrong = format!("{first}{}", &secret[1..]);
    assert!(members.verify(&wrong).is_none());
}

#[test]
fn member_add_twice_is_a_clear_error_and_keeps_the_first_secret() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("members.toml");
    let first = run(&file, &["member", "add", "yamada"]);
    let secret = String::from_utf8(first.stdout)
        .unwrap()
        .lines()
        .last()
        .unwrap()
        .to_owned();
    let again = run(&file, &["member", "add", "yamada"]);
    assert_eq!(again.status.code(), Some(2));
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(err.contains("既に登録されています"), "{err}");
    assert_eq!(
        Members::load(&file)
            .unwrap()
            .verify(&secret)
            .unwrap()
            .as_str(),
        "yamada"
    );
}

#[test]
fn member_list_and_remove() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("members.toml");
    let empty = run(&file, &["member", "list"]);
    assert!(String::from_utf8_lossy(&empty.stderr).contains("書き込みは無効"));
    run(&file, &["member", "add", "yamada"]);
    run(&file, &["member", "add", "佐藤"]);
    let list = String::from_utf8(run(&file, &["member", "list"]).stdout).unwrap();
    let names: Vec<_> = list
        .lines()
        .map(|l| l.split('\t').next().unwrap())
        .collect();
    assert_eq!(names, ["yamada", "佐藤"]);
    assert!(run(&file, &["member", "remove", "yamada"]).status.success());
    let missing = run(&file, &["member", "remove", "yamada"]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("登録されていません"));
    let list = String::from_utf8(run(&file, &["member", "list"]).stdout).unwrap();
    assert_eq!(
        list.trim(),
        format!("佐藤\t{}", kaizen_wa::case::today_iso())
    );
}

#[test]
fn members_option_overrides_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let env_file = dir.path().join("env.toml");
    let opt_file = dir.path().join("opt.toml");
    let out = run(
        &env_file,
        &[
            "--members",
            opt_file.to_str().unwrap(),
            "member",
            "add",
            "x",
        ],
    );
    assert!(out.status.success());
    assert!(opt_file.exists() && !env_file.exists());
}
