//! `gatehouse`: the command-line client for a Gatehouse console's HTTP API.
//!
//! Exit codes: 0 success, 1 a refused or failed request, 2 a usage error.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

mod client;
mod credentials;

use app::model::{
    ApiKeyInfo, Identity, IdentityProvider, KeyKind, MatchingCount, Member, NewToken,
    RemovedMember, RevokeMatching, Role, ServiceAccountInfo, TokenPolicy,
};
use clap::{Args, Parser, Subcommand, ValueEnum};
use client::{encode, Api, Failure};
use credentials::{CredentialsFile, TokenSource, DEFAULT_HOST};
use serde_json::json;
use std::io::{IsTerminal, Read, Write};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "gatehouse",
    version,
    about = "Manage a Gatehouse organization from the command line"
)]
struct Cli {
    /// Console URL (else GATEHOUSE_HOST, else the credentials file, else http://127.0.0.1:3000).
    #[arg(long, global = true, env = "GATEHOUSE_HOST")]
    host: Option<String>,
    /// API token (else GATEHOUSE_CLI_TOKEN, else the credentials file).
    #[arg(
        long,
        global = true,
        env = "GATEHOUSE_CLI_TOKEN",
        hide_env_values = true
    )]
    token: Option<String>,
    /// Allow sending the token over plain http to a host that is not this machine.
    #[arg(long, global = true)]
    insecure: bool,
    /// Output format.
    #[arg(long, short = 'o', global = true, value_enum, default_value_t = Output::Table)]
    output: Output,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Output {
    Table,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Store a token (asked for, or read from stdin) after checking it with the server.
    Login,
    /// Remove the stored credentials.
    Logout,
    /// Show who the token belongs to.
    Whoami,
    /// Service accounts (owners).
    #[command(subcommand, name = "service-account")]
    ServiceAccount(ServiceAccountCommand),
    /// API keys of the organization (owners).
    #[command(subcommand, name = "api-key")]
    ApiKey(ApiKeyCommand),
    /// Your own credentials.
    #[command(subcommand)]
    Credentials(CredentialsCommand),
    /// Members of the organization.
    #[command(subcommand)]
    User(UserCommand),
    /// The identity provider the console trusts (owners).
    #[command(subcommand, name = "idp")]
    Idp(IdpCommand),
    /// Organization settings.
    #[command(subcommand)]
    Org(OrgCommand),
}

#[derive(Subcommand)]
enum OrgCommand {
    /// Show the maximum lifetime of personal tokens; with --max-days or --no-max, set it (owners).
    TokenPolicy {
        #[arg(long, conflicts_with = "no_max")]
        max_days: Option<i64>,
        #[arg(long)]
        no_max: bool,
    },
}

#[derive(Subcommand)]
enum IdpCommand {
    /// Entity id, certificates and their expiry, metadata refresh state.
    Show,
    /// Print the SP metadata XML to hand to the identity provider.
    SpMetadata,
}

#[derive(Subcommand)]
enum ServiceAccountCommand {
    /// Create a service account.
    Create {
        #[arg(long)]
        name: String,
        #[arg(long, value_enum, default_value_t = RoleArg::Collaborator)]
        role: RoleArg,
    },
    /// List service accounts (follows paging).
    List {
        /// Email prefix.
        #[arg(long)]
        email: Option<String>,
        /// Stop after this many.
        #[arg(long)]
        max_items: Option<usize>,
    },
    /// Delete a service account and revoke all its keys.
    Delete {
        #[arg(long)]
        name: String,
        /// Do not ask for confirmation.
        #[arg(long, short = 'y')]
        yes: bool,
    },
    /// Create an API key; it is printed once.
    CreateApiKey {
        /// The service account.
        #[arg(long)]
        name: String,
        /// A label for the key (default "API key").
        #[arg(long)]
        key_name: Option<String>,
        /// The key stops working after this long: `90d`, `24h`, `30m`, or seconds.
        #[arg(long, conflicts_with = "expires_at")]
        expires_in: Option<String>,
        /// The key stops working at this time: Unix seconds, `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM` (UTC).
        #[arg(long)]
        expires_at: Option<String>,
        /// A network the key may be used from (CIDR); repeat for more. Default: anywhere.
        #[arg(long = "allow-cidr")]
        allow_cidr: Vec<String>,
    },
    /// Revoke every key of a service account.
    RevokeAllApiKeys(NameArg),
}

#[derive(Args)]
struct NameArg {
    #[arg(long)]
    name: String,
}

#[derive(Clone, Copy, ValueEnum)]
enum RoleArg {
    Collaborator,
    Owner,
}

impl From<RoleArg> for Role {
    fn from(r: RoleArg) -> Role {
        match r {
            RoleArg::Collaborator => Role::Collaborator,
            RoleArg::Owner => Role::Owner,
        }
    }
}

#[derive(Subcommand)]
enum ApiKeyCommand {
    /// List active keys, newest first.
    List {
        /// Service-account email, exact or prefix.
        #[arg(long)]
        email: Option<String>,
        /// Only keys unused for at least this many days (stale keys).
        #[arg(long)]
        unused_for_days: Option<u32>,
    },
    /// Replace a service-account key: the new key is printed once; the old one keeps working
    /// for the grace period, then expires.
    Rotate {
        key_id: String,
        /// How long the old key keeps working: `24h`, `7d`, `0` (default `0`).
        #[arg(long, default_value = "0")]
        grace: String,
    },
    /// Revoke one key.
    Revoke { key_id: String },
    /// Emergency revoke: every live key matching all the conditions, in one step (owners).
    RevokeMatching {
        /// Keys created before this time: Unix seconds, `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM` (UTC).
        #[arg(long)]
        created_before: Option<String>,
        /// Keys created by this person or service account (email).
        #[arg(long)]
        created_by: Option<String>,
        #[arg(long, value_enum, default_value_t = KindArg::All)]
        kind: KindArg,
        /// Only count what would be revoked.
        #[arg(long)]
        dry_run: bool,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum KindArg {
    User,
    ServiceAccount,
    All,
}

impl From<KindArg> for KeyKind {
    fn from(k: KindArg) -> Self {
        match k {
            KindArg::User => KeyKind::User,
            KindArg::ServiceAccount => KeyKind::ServiceAccount,
            KindArg::All => KeyKind::All,
        }
    }
}

#[derive(Subcommand)]
enum CredentialsCommand {
    /// Revoke all of your tokens and get one new token (stored if yours came from the file).
    Rotate,
}

#[derive(Subcommand)]
enum UserCommand {
    /// List the organization's members.
    List,
    /// Rotate another member's key and print the new one for hand-over (owners).
    RotateKey {
        #[arg(long)]
        user_id: String,
    },
    /// Remove a member (owners): their tokens and sessions end, and the service-account keys
    /// they created are revoked unless --keep-created-keys.
    Remove {
        #[arg(long)]
        user_id: String,
        /// Keep the service-account keys this person created.
        #[arg(long)]
        keep_created_keys: bool,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
    /// People removed from the organization: their sign-ins are refused until allowed back
    /// (owners).
    Removed,
    /// Let a removed person sign in again (owners).
    AllowBack {
        /// Their email.
        email: String,
    },
}

/// `90d`, `24h`, `30m`, `45s` or plain seconds.
fn duration_seconds(text: &str, flag: &str) -> Result<i64, Exit> {
    let text = text.trim();
    let (number, unit) = match text.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&text[..i], c),
        _ => (text, 's'),
    };
    let factor = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        _ => 0,
    };
    number
        .parse::<i64>()
        .ok()
        .filter(|n| *n >= 0 && factor > 0)
        .map(|n| n * factor)
        .ok_or_else(|| {
            Exit::Usage(format!(
                "{flag} {text:?}: give e.g. 90d, 24h, 30m or seconds"
            ))
        })
}

/// Unix seconds, `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM` (UTC).
fn time_arg(text: &str, flag: &str) -> Result<i64, Exit> {
    text.trim()
        .parse::<i64>()
        .ok()
        .or_else(|| app::model::parse_utc_datetime(text))
        .ok_or_else(|| {
            Exit::Usage(format!(
                "{flag} {text:?}: give Unix seconds, YYYY-MM-DD or YYYY-MM-DDTHH:MM (UTC)"
            ))
        })
}

fn unix_now() -> i64 {
    app::model::now_unix()
}

/// Asks `question` on the terminal; refuses (usage error) when stdin is not a terminal.
fn confirm(question: &str, refusal: String) -> Result<bool, Exit> {
    if !std::io::stdin().is_terminal() {
        return Err(Exit::Usage(refusal));
    }
    eprint!("{question} [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(|e| Exit::Refused(e.to_string()))?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Exit::Refused(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(1)
        }
        Err(Exit::Usage(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

enum Exit {
    Refused(String),
    Usage(String),
}

impl From<Failure> for Exit {
    fn from(f: Failure) -> Exit {
        match f {
            Failure::Refused(m) => Exit::Refused(m),
        }
    }
}

struct Context {
    host: String,
    token: Option<(String, TokenSource)>,
    file: Option<CredentialsFile>,
    output: Output,
}

impl Context {
    fn api(&self) -> Result<Api, Exit> {
        Ok(Api::new(
            &self.host,
            self.token.as_ref().map(|(t, _)| t.clone()),
        )?)
    }

    fn print<T: serde::Serialize>(&self, value: &T, table: impl FnOnce()) -> Result<(), Exit> {
        match self.output {
            Output::Json => {
                let text = serde_json::to_string_pretty(value)
                    .map_err(|e| Exit::Refused(e.to_string()))?;
                println!("{text}");
            }
            Output::Table => table(),
        }
        Ok(())
    }
}

fn run(cli: Cli) -> Result<(), Exit> {
    let file = credentials::read().map_err(Exit::Refused)?;
    let host = cli
        .host
        .clone()
        .or_else(|| file.as_ref().and_then(|f| f.current.clone()))
        .unwrap_or_else(|| DEFAULT_HOST.to_string());
    if !cli.insecure && !credentials::transport_is_safe(&host) {
        return Err(Exit::Usage(format!(
            "refusing to send a token over plain http to {host}: use https, or pass --insecure \
             if this network is trusted"
        )));
    }
    // The file keeps one token per host; only this host's is ever sent to it.
    let file_token = file.as_ref().and_then(|f| f.token_for(&host));
    if let (None, None, Some(f)) = (&cli.token, &file_token, &file) {
        let others = f.hosts();
        if !others.is_empty() {
            eprintln!(
                "warning: no token is stored for {host} (the credentials file has tokens for {}); \
                 stored tokens are not sent to other hosts",
                others.join(", ")
            );
        }
    }
    let token = match (&cli.token, file_token) {
        (Some(t), _)
            if std::env::var("GATEHOUSE_CLI_TOKEN").ok().as_deref() == Some(t.as_str()) =>
        {
            Some((t.clone(), TokenSource::Environment))
        }
        (Some(t), _) => {
            eprintln!(
                "warning: a token given with --token ends up in your shell history and in `ps`; \
                 prefer GATEHOUSE_CLI_TOKEN or `gatehouse login` (which reads stdin)"
            );
            Some((t.clone(), TokenSource::Flag))
        }
        (None, Some(t)) => Some((t, TokenSource::File)),
        (None, None) => None,
    };
    let ctx = Context {
        host,
        token,
        file,
        output: cli.output,
    };
    match cli.command {
        Command::Login => login(&ctx),
        Command::Logout => {
            let Some(mut file) = ctx.file.clone() else {
                eprintln!("No stored credentials.");
                return Ok(());
            };
            if file.token_for(&ctx.host).is_none() {
                eprintln!("No token is stored for {}.", ctx.host);
                return Ok(());
            }
            if file.forget(&ctx.host) {
                if let Some(path) = credentials::remove().map_err(Exit::Refused)? {
                    eprintln!("Removed {}.", path.display());
                }
            } else {
                let path = credentials::write(&file).map_err(Exit::Refused)?;
                eprintln!("Forgot the token for {} in {}.", ctx.host, path.display());
            }
            Ok(())
        }
        Command::Whoami => {
            let me: Identity = ctx.api()?.get("/users/me")?;
            ctx.print(&me, || {
                println!("{} ({}, {})", me.email, me.kind.replace('_', " "), me.role);
                println!(
                    "organization {} ({})",
                    me.organization_name, me.organization_id
                );
            })
        }
        Command::ServiceAccount(c) => service_account(&ctx, c),
        Command::ApiKey(c) => api_key(&ctx, c),
        Command::Credentials(CredentialsCommand::Rotate) => rotate_own(&ctx),
        Command::User(c) => user(&ctx, c),
        Command::Idp(c) => idp(&ctx, c),
        Command::Org(OrgCommand::TokenPolicy { max_days, no_max }) => {
            let api = ctx.api()?;
            let policy: TokenPolicy = if max_days.is_some() || no_max {
                api.put(
                    "/organization/token_policy",
                    json!({ "personal_token_max_days": max_days }),
                )?
            } else {
                api.get("/organization/token_policy")?
            };
            ctx.print(&policy, || match policy.personal_token_max_days {
                Some(d) => println!(
                    "Personal tokens must expire within {d} days{}.",
                    if policy.set_by_configuration {
                        " (set by GATEHOUSE_PERSONAL_TOKEN_MAX_DAYS)"
                    } else {
                        ""
                    }
                ),
                None => println!("Personal tokens have no maximum lifetime."),
            })
        }
    }
}

fn idp(ctx: &Context, command: IdpCommand) -> Result<(), Exit> {
    let idp: IdentityProvider = ctx.api()?.get("/identity_provider")?;
    match command {
        IdpCommand::Show => ctx.print(&idp, || {
            println!("entity id        {}", idp.entity_id);
            println!("metadata from    {}", idp.metadata_source);
            println!("sign-on URL      {}", idp.sso_url);
            println!(
                "single logout    {}",
                idp.slo_url.as_deref().unwrap_or("not offered")
            );
            println!(
                "last refreshed   {}",
                idp.last_refresh_at
                    .map(app::model::format_timestamp)
                    .unwrap_or_else(|| "never".into())
            );
            if let Some(error) = &idp.last_error {
                println!("WARNING          the last refresh failed: {error}");
            }
            table(
                &["SUBJECT", "VALID UNTIL", "SHA-256"],
                idp.certificates
                    .iter()
                    .map(|c| {
                        vec![
                            c.subject.clone(),
                            app::model::format_timestamp(c.not_after),
                            c.sha256_fingerprint.clone(),
                        ]
                    })
                    .collect(),
                "No signing certificates.",
            );
        }),
        IdpCommand::SpMetadata => {
            println!("{}", idp.sp_metadata_xml);
            Ok(())
        }
    }
}

fn login(ctx: &Context) -> Result<(), Exit> {
    let token = if std::io::stdin().is_terminal() {
        eprintln!("Create a token on the Credentials page of {}.", ctx.host);
        rpassword::prompt_password("Paste your token: ")
            .map_err(|e| Exit::Refused(e.to_string()))?
    } else {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| Exit::Refused(e.to_string()))?;
        text
    };
    let token = token.trim().to_string();
    if token.is_empty() {
        return Err(Exit::Usage("no token given".into()));
    }
    let me: Identity = Api::new(&ctx.host, Some(token.clone()))?.get("/users/me")?;
    let mut file = ctx.file.clone().unwrap_or_default();
    file.set(&ctx.host, token);
    let path = credentials::write(&file).map_err(Exit::Refused)?;
    eprintln!(
        "Logged in to {} as {} ({}). Saved to {}.",
        ctx.host,
        me.email,
        me.role,
        path.display()
    );
    Ok(())
}

fn rotate_own(ctx: &Context) -> Result<(), Exit> {
    let new: NewToken = ctx.api()?.post("/users/me/rotate_key", None)?;
    let stored = match &ctx.token {
        Some((_, TokenSource::File)) => {
            let mut file = ctx.file.clone().unwrap_or_default();
            file.set(&ctx.host, new.token.clone());
            Some(credentials::write(&file).map_err(Exit::Refused)?)
        }
        _ => None,
    };
    // A person's rotation revokes all their tokens; a service-account key replaces only itself.
    let what = if new.token.starts_with("gts_") {
        "This key is revoked (the account's other keys keep working)."
    } else {
        "All your previous tokens are revoked."
    };
    ctx.print(&new, || match &stored {
        Some(path) => println!(
            "{what} The new token (…{}) is stored in {}.",
            new.info.last_six,
            path.display()
        ),
        None => {
            println!("{what} Your new token (shown once):");
            println!("{}", new.token);
            println!("export GATEHOUSE_CLI_TOKEN={}", new.token);
        }
    })
}

fn service_account(ctx: &Context, command: ServiceAccountCommand) -> Result<(), Exit> {
    let api = ctx.api()?;
    match command {
        ServiceAccountCommand::Create { name, role } => {
            let role: Role = role.into();
            let account: ServiceAccountInfo = api.post(
                "/service_accounts",
                Some(json!({"name": name, "role": role})),
            )?;
            ctx.print(&account, || {
                println!(
                    "Created service account {} ({}) with role {}.",
                    account.name, account.email, account.role
                )
            })
        }
        ServiceAccountCommand::List { email, max_items } => {
            let mut path = "/service_accounts?count=200".to_string();
            if let Some(e) = &email {
                path.push_str(&format!("&email={}", encode(e)));
            }
            let all: Vec<ServiceAccountInfo> = api.list_all(&path, max_items)?;
            ctx.print(&all, || {
                table(
                    &["NAME", "EMAIL", "ROLE", "ACTIVE KEYS"],
                    all.iter()
                        .map(|a| {
                            vec![
                                a.name.clone(),
                                a.email.clone(),
                                a.role.to_string(),
                                a.active_keys.to_string(),
                            ]
                        })
                        .collect(),
                    "No service accounts.",
                )
            })
        }
        ServiceAccountCommand::Delete { name, yes } => {
            if !yes
                && !confirm(
                    &format!("Delete service account {name} and revoke all its keys?"),
                    format!(
                        "refusing to delete {name} without confirmation: pass --yes when not on a terminal"
                    ),
                )?
            {
                eprintln!("Nothing deleted.");
                return Ok(());
            }
            api.delete(&format!("/service_accounts/{}", encode(&name)))?;
            ctx.print(&json!({"deleted": name}), || {
                println!("Deleted service account {name}; its keys are revoked.")
            })
        }
        ServiceAccountCommand::CreateApiKey {
            name,
            key_name,
            expires_in,
            expires_at,
            allow_cidr,
        } => {
            let expires_at = match (expires_in, expires_at) {
                (Some(d), _) => Some(unix_now() + duration_seconds(&d, "--expires-in")?),
                (None, Some(at)) => Some(time_arg(&at, "--expires-at")?),
                (None, None) => None,
            };
            let key: NewToken = api.post(
                &format!("/service_accounts/{}/api_keys", encode(&name)),
                Some(json!({
                    "name": key_name,
                    "expires_at": expires_at,
                    "allowed_cidrs": allow_cidr,
                })),
            )?;
            ctx.print(&key, || {
                println!(
                    "API key for {name} (shown once; record its last six characters, …{}):",
                    key.info.last_six
                );
                println!("{}", key.token);
                println!("export GATEHOUSE_CLI_TOKEN={}", key.token);
            })
        }
        ServiceAccountCommand::RevokeAllApiKeys(NameArg { name }) => {
            #[derive(serde::Deserialize, serde::Serialize)]
            struct Revoked {
                revoked: u64,
            }
            let done: Revoked = api.post(
                &format!("/service_accounts/{}/api_keys/revoke_all", encode(&name)),
                None,
            )?;
            ctx.print(&done, || {
                println!("Revoked {} keys of {name}.", done.revoked)
            })
        }
    }
}

fn api_key(ctx: &Context, command: ApiKeyCommand) -> Result<(), Exit> {
    let api = ctx.api()?;
    match command {
        ApiKeyCommand::List {
            email,
            unused_for_days,
        } => {
            let mut path = "/api_keys?count=200".to_string();
            if let Some(e) = &email {
                path.push_str(&format!("&email={}", encode(e)));
            }
            if let Some(days) = unused_for_days {
                path.push_str(&format!("&unused_for_days={days}"));
            }
            let all: Vec<ApiKeyInfo> = api.list_all(&path, None)?;
            let now = unix_now();
            ctx.print(&all, || {
                table(
                    &[
                        "KEY ID",
                        "OWNER",
                        "KEY",
                        "NAME",
                        "EXPIRES",
                        "LAST USED",
                        "CREATED BY",
                    ],
                    all.iter()
                        .map(|k| {
                            vec![
                                k.id.clone(),
                                k.owner_email.clone().unwrap_or_default(),
                                format!("…{}", k.last_six),
                                k.name.clone(),
                                app::model::expiry_text(k.expires_at, now),
                                match (k.last_used_at, &k.last_used_ip) {
                                    (Some(t), Some(ip)) => {
                                        format!("{} from {ip}", app::model::format_timestamp(t))
                                    }
                                    (Some(t), None) => app::model::format_timestamp(t),
                                    (None, _) => "never".to_string(),
                                },
                                k.created_by.clone().unwrap_or_default(),
                            ]
                        })
                        .collect(),
                    "No active keys.",
                )
            })
        }
        ApiKeyCommand::Rotate { key_id, grace } => {
            let grace_seconds = duration_seconds(&grace, "--grace")?;
            let key: NewToken = api.post(
                &format!("/api_keys/{}/rotate", encode(&key_id)),
                Some(json!({ "grace_seconds": grace_seconds })),
            )?;
            ctx.print(&key, || {
                println!(
                    "New key (shown once; record its last six characters, …{}). The old key works for {grace_seconds} more seconds:",
                    key.info.last_six
                );
                println!("{}", key.token);
            })
        }
        ApiKeyCommand::Revoke { key_id } => {
            api.delete(&format!("/api_keys/{}", encode(&key_id)))?;
            ctx.print(&json!({"revoked": key_id}), || {
                println!("Revoked key {key_id}.")
            })
        }
        ApiKeyCommand::RevokeMatching {
            created_before,
            created_by,
            kind,
            dry_run,
            yes,
        } => {
            let created_before = match created_before {
                Some(text) => Some(time_arg(&text, "--created-before")?),
                None => None,
            };
            let body = |dry_run: bool| {
                serde_json::to_value(RevokeMatching {
                    created_before,
                    created_by: created_by.clone(),
                    kind: Some(kind.into()),
                    dry_run: Some(dry_run),
                })
                .map_err(|e| Exit::Refused(e.to_string()))
            };
            let counted: MatchingCount = api.post("/api_keys/revoke", Some(body(true)?))?;
            if dry_run {
                return ctx.print(&counted, || {
                    println!(
                        "{} live keys match; nothing revoked (dry run).",
                        counted.count
                    )
                });
            }
            if counted.count == 0 {
                return ctx.print(&counted, || {
                    println!("No live key matches; nothing revoked.")
                });
            }
            if !yes
                && !confirm(
                    &format!("Revoke {} keys now?", counted.count),
                    format!(
                        "refusing to revoke {} keys without confirmation: pass --yes when not on a terminal",
                        counted.count
                    ),
                )?
            {
                eprintln!("Nothing revoked.");
                return Ok(());
            }
            let done: MatchingCount = api.post("/api_keys/revoke", Some(body(false)?))?;
            ctx.print(&done, || println!("Revoked {} keys.", done.count))
        }
    }
}

fn user(ctx: &Context, command: UserCommand) -> Result<(), Exit> {
    let api = ctx.api()?;
    match command {
        UserCommand::List => {
            let all: Vec<Member> = api.list_all("/collaborators?count=200", None)?;
            ctx.print(&all, || {
                table(
                    &["ID", "EMAIL", "NAME", "ROLE", "KIND"],
                    all.iter()
                        .map(|m| {
                            vec![
                                m.id.clone(),
                                m.email.clone(),
                                m.name.clone(),
                                m.role.to_string(),
                                if m.is_service_account {
                                    "service account"
                                } else {
                                    "person"
                                }
                                .to_string(),
                            ]
                        })
                        .collect(),
                    "No members.",
                )
            })
        }
        UserCommand::Remove {
            user_id,
            keep_created_keys,
            yes,
        } => {
            let what = if keep_created_keys {
                "(keeping the service-account keys they created)"
            } else {
                "and revoke the service-account keys they created"
            };
            if !yes
                && !confirm(
                    &format!("Remove {user_id}, end their sessions and tokens, {what}?"),
                    format!(
                        "refusing to remove {user_id} without confirmation: pass --yes when not on a terminal"
                    ),
                )?
            {
                eprintln!("Nobody removed.");
                return Ok(());
            }
            api.delete(&format!(
                "/users/{}?revoke_created_keys={}",
                encode(&user_id),
                !keep_created_keys
            ))?;
            ctx.print(&json!({"removed": user_id}), || {
                println!("Removed {user_id}: tokens revoked, sessions ended {what}.")
            })
        }
        UserCommand::Removed => {
            let all = api.list::<RemovedMember>("/removed_members")?.results;
            ctx.print(&all, || {
                table(
                    &["EMAIL", "REMOVED", "BY"],
                    all.iter()
                        .map(|r| {
                            vec![
                                r.email.clone(),
                                app::model::format_timestamp(r.removed_at),
                                r.removed_by.clone().unwrap_or_else(|| "-".into()),
                            ]
                        })
                        .collect(),
                    "Nobody has been removed.",
                )
            })
        }
        UserCommand::AllowBack { email } => {
            api.delete(&format!("/removed_members/{}", encode(&email)))?;
            ctx.print(&json!({"allowed_back": email}), || {
                println!("{email} may sign in again; their next sign-in makes them a member.")
            })
        }
        UserCommand::RotateKey { user_id } => {
            let new: NewToken =
                api.post(&format!("/users/{}/rotate_key", encode(&user_id)), None)?;
            ctx.print(&new, || {
                println!(
                    "All tokens of {user_id} are revoked. New token for hand-over (shown once):"
                );
                println!("{}", new.token);
            })
        }
    }
}

/// Prints aligned columns, or `empty` when there are no rows.
fn table(headers: &[&str], rows: Vec<Vec<String>>, empty: &str) {
    if rows.is_empty() {
        println!("{empty}");
        return;
    }
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let parts: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c:<w$}", w = widths[i]))
            .collect();
        println!("{}", parts.join("  ").trim_end());
    };
    line(headers.iter().map(|h| h.to_string()).collect());
    for row in rows {
        line(row);
    }
}
