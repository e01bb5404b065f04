//! `kaizen-wa serve` and `member`: the web site started from its flags, and
//! the members who may write through it. The server itself is `web`'s and
//! the members file `members`'; this must not handle requests or hashes.

use std::process::ExitCode;

use anyhow::{Context, Result};

use super::{Global, MemberAction, ServeArgs, ensure_cases_dir};
use crate::analysis;

pub(super) fn serve(g: &Global, args: ServeArgs) -> Result<ExitCode> {
    ensure_cases_dir(g)?;
    // The synonym tables are read on first use: read them now, beside
    // the start-up, so the first search does not wait for them.
    std::thread::spawn(analysis::synonyms::warm_up);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let config = crate::web::Config {
        cases: g.cases.clone(),
        members: Some(g.members.clone()),
        secure_cookies: args.secure_cookies,
        behind_proxy: args.behind_proxy,
        meaning: !g.no_meaning,
        limits: crate::web::limits::Limits {
            header_timeout: std::time::Duration::from_secs(args.header_timeout),
            request_timeout: std::time::Duration::from_secs(args.request_timeout),
            max_connections: args.max_connections.max(1),
            max_connections_per_address: args.max_connections_per_address,
            max_body: args.max_body,
            ..Default::default()
        },
    };
    runtime.block_on(crate::web::serve(args.addr, config, g.index.clone()))?;
    Ok(ExitCode::SUCCESS)
}

pub(super) fn member(g: &Global, action: MemberAction) -> Result<ExitCode> {
    use crate::members::Members;
    let mut members = Members::load(&g.members)?;
    match action {
        MemberAction::Add { name } => {
            let secret = members.add(&name)?;
            members.save()?;
            let name = &members.list().last().expect("just added").name;
            println!("会員「{name}」を {} に登録しました。", g.members.display());
            println!(
                "次の合言葉は今だけ表示されます（保存されるのはハッシュだけです）。本人に安全な方法で渡してください:"
            );
            println!("{secret}");
        }
        MemberAction::List => {
            if members.is_empty() {
                eprintln!(
                    "会員はいません（{}）。書き込みは無効です。`kaizen-wa member add 名前` で有効になります。",
                    g.members.display()
                );
            }
            for m in members.list() {
                println!("{}\t{}", m.name, m.created);
            }
        }
        MemberAction::Remove { name } => {
            let removed = members.remove(&name)?;
            members.save()?;
            println!("会員「{}」を削除しました。", removed.name);
        }
    }
    Ok(ExitCode::SUCCESS)
}
