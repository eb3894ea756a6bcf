//! Service-account and key pages at scale: fills the database to N service accounts and
//! 10·N keys, then measures p50/p99 latency of the SSR pages (`/iam/service-accounts`,
//! `/iam/api-keys`) and the list APIs at their first and last page. It measures at a small
//! size first and then at the full size — right after the bulk load, without ANALYZE, and once
//! more after ANALYZE — to show whether latency grows with N or depends on statistics. Goal:
//! every page under 20 ms p99, flat in N. Results go to docs/benchmarks.md.
//!
//! `cargo bench -p gatehouse-server --bench iam_scale`
//! Sizes: GATEHOUSE_BENCH_ACCOUNTS (default 100000); keys are 10 per account.
//! GATEHOUSE_BENCH_DATABASE_URL=postgres://… measures PostgreSQL instead of SQLite.
use app::server::actor::Actor;
use app::server::clock::Clock;
use app::server::credentials;
use app::server::paging;
use app::server::tokens::TokenKind;
use app::server::users;
use gatehouse_server::config::Config;
use gatehouse_server::dev_idp::parse_redirect_request;
use gatehouse_server::Application;
use sqlx::Executor;
use std::collections::HashMap;
use std::time::{Duration, Instant};

const SAMPLES: usize = 200;
const KEYS_PER_ACCOUNT: usize = 10;
const CREATED_BASE: i64 = 1_700_000_000;

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let full: usize = std::env::var("GATEHOUSE_BENCH_ACCOUNTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = std::env::temp_dir().join(format!("gatehouse-scale-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let base = format!("http://{addr}");
    let env: HashMap<String, String> = HashMap::from([
        ("GATEHOUSE_PUBLIC_URL".into(), base.clone()),
        ("GATEHOUSE_METRICS_ADDR".into(), "127.0.0.1:0".into()),
        (
            "GATEHOUSE_DATABASE_URL".into(),
            std::env::var("GATEHOUSE_BENCH_DATABASE_URL")
                .unwrap_or_else(|_| format!("sqlite://{}/scale.db", dir.display())),
        ),
        ("GATEHOUSE_LOG".into(), "warn".into()),
    ]);
    let config = Config::from_sources(None, &|k| env.get(k).cloned()).expect("config");
    let app = Application::build_on(listener, config, Clock::system())
        .await
        .expect("app");
    let state = app.state().app.clone();
    tokio::spawn(app.run());

    // An owner with a browser session (through the dev IdP) and an API token.
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    sign_in(&browser, &base, "ada@example.com").await;
    let owner = users::find_by_email(state.db.pool(), "ada@example.com")
        .await
        .expect("db")
        .expect("owner");
    let actor = Actor::from_user(&owner);
    let mut tx = state.db.begin_write().await.expect("tx");
    let token = credentials::insert_token(
        &mut tx,
        &state.org.id,
        TokenKind::User,
        &owner.id,
        "bench",
        &actor,
        state.clock.unix(),
    )
    .await
    .expect("token")
    .token;
    tx.commit().await.expect("commit");
    let api = reqwest::Client::new();

    println!("| accounts | keys | request | p50 ms | p99 ms |");
    println!("|---:|---:|---|---:|---:|");
    let mut filled = 0;
    for size in [full / 100, full] {
        let started = Instant::now();
        fill(&state.db, &state.org.id, filled, size).await;
        eprintln!(
            "filled to {size} accounts / {} keys in {:.1?}",
            size * KEYS_PER_ACCOUNT,
            started.elapsed()
        );
        filled = size;
        let last_account = format!("sa-{:07}", size - 51);
        let last_key_at = CREATED_BASE + 50;
        let cases: Vec<(&str, String, bool)> = vec![
            (
                "SSR /iam/service-accounts",
                format!("{base}/iam/service-accounts"),
                false,
            ),
            ("SSR /iam/api-keys", format!("{base}/iam/api-keys"), false),
            (
                "API service_accounts, first page",
                format!("{base}/api/v1/service_accounts"),
                true,
            ),
            (
                "API service_accounts, last page",
                format!(
                    "{base}/api/v1/service_accounts?paging_token={}",
                    paging::encode(&[&last_account])
                ),
                true,
            ),
            (
                "API api_keys, first page",
                format!("{base}/api/v1/api_keys"),
                true,
            ),
            (
                "API api_keys, last page",
                format!(
                    "{base}/api/v1/api_keys?paging_token={}",
                    paging::encode(&[&last_key_at.to_string(), &key_id(50)])
                ),
                true,
            ),
            (
                "API api_keys, one account's email (exact)",
                format!(
                    "{base}/api/v1/api_keys?email=sa-{:07}@org-{}.serviceaccount.com",
                    size / 2,
                    state.org.id
                ),
                true,
            ),
            (
                "API api_keys, email prefix",
                format!("{base}/api/v1/api_keys?email=sa-{:07}@", size / 2),
                true,
            ),
        ];
        // Measured right after the bulk load (statistics from the smaller size, if any), and at
        // full size once more after ANALYZE: the plans must not depend on which.
        let rounds: &[&str] = if size == full {
            &["", " (after ANALYZE)"]
        } else {
            &[""]
        };
        for round in rounds {
            if !round.is_empty() {
                state.db.pool().execute("ANALYZE").await.expect("analyze");
            }
            for (label, url, is_api) in &cases {
                let client = if *is_api { &api } else { &browser };
                let (p50, p99) = measure(client, url, is_api.then_some(token.as_str())).await;
                println!(
                    "| {size} | {} | {label}{round} | {p50:.2} | {p99:.2} |",
                    size * KEYS_PER_ACCOUNT
                );
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn key_id(i: usize) -> String {
    format!("tok_{i:032}")
}

/// Adds service accounts `from..to` with ten keys each, in large literal batches.
async fn fill(db: &app::server::db::Db, org_id: &str, from: usize, to: usize) {
    const BATCH: usize = 1000;
    let mut i = from;
    while i < to {
        let end = (i + BATCH).min(to);
        let mut accounts = String::from("INSERT INTO service_accounts (id, org_id, name, email, role, created_at, created_by) VALUES ");
        let mut keys = String::from(
            "INSERT INTO api_tokens (id, org_id, owner_kind, owner_id, name, token_hash, last_six, created_at, created_by, created_by_email) VALUES ",
        );
        for n in i..end {
            let sep = if n == i { "" } else { "," };
            accounts.push_str(&format!(
                "{sep}('sa_{n:032}', '{org_id}', 'sa-{n:07}', 'sa-{n:07}@org-{org_id}.serviceaccount.com', 'collaborator', {CREATED_BASE}, 'bench')"
            ));
            for k in 0..KEYS_PER_ACCOUNT {
                let key = n * KEYS_PER_ACCOUNT + k;
                let sep = if n == i && k == 0 { "" } else { "," };
                keys.push_str(&format!(
                    "{sep}('{}', '{org_id}', 'service_account', 'sa_{n:032}', 'key', 'hash{key:060}', '{:06}', {}, 'bench', 'bench@example.com')",
                    key_id(key),
                    key % 1_000_000,
                    CREATED_BASE + key as i64
                ));
            }
        }
        let mut tx = db.begin_write().await.expect("tx");
        tx.execute(accounts.as_str()).await.expect("accounts");
        tx.execute(keys.as_str()).await.expect("keys");
        tx.commit().await.expect("commit");
        i = end;
    }
}

async fn measure(client: &reqwest::Client, url: &str, token: Option<&str>) -> (f64, f64) {
    let send = || {
        let mut request = client.get(url);
        if let Some(t) = token {
            request = request.bearer_auth(t);
        }
        request.send()
    };
    for _ in 0..20 {
        let response = send().await.expect("warm-up");
        assert!(
            response.status().is_success(),
            "{url}: {}",
            response.status()
        );
        let _ = response.bytes().await;
    }
    let mut samples = Vec::with_capacity(SAMPLES);
    for _ in 0..SAMPLES {
        let start = Instant::now();
        let response = send().await.expect("request");
        let status = response.status();
        let body = response.bytes().await.expect("body");
        samples.push(start.elapsed());
        assert!(status.is_success() && !body.is_empty(), "{url}: {status}");
    }
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    (ms(samples[SAMPLES / 2]), ms(samples[SAMPLES * 99 / 100]))
}

async fn sign_in(client: &reqwest::Client, base: &str, email: &str) {
    let login = client
        .get(format!("{base}/saml/login?next=/"))
        .send()
        .await
        .expect("login");
    let idp = url::Url::parse(login.headers()["location"].to_str().expect("ascii")).expect("url");
    let raw = idp
        .query_pairs()
        .find(|(k, _)| k == "SAMLRequest")
        .expect("SAMLRequest")
        .1
        .to_string();
    parse_redirect_request(&raw).expect("AuthnRequest");
    let form = [
        ("SAMLRequest", raw.as_str()),
        ("RelayState", ""),
        ("user", email),
    ];
    let page = client
        .post(format!("{base}/dev-idp/sso"))
        .form(&form)
        .send()
        .await
        .expect("idp")
        .text()
        .await
        .expect("html");
    let marker = "name=\"SAMLResponse\" value=\"";
    let start = page.find(marker).expect("SAMLResponse") + marker.len();
    let end = start + page[start..].find('"').expect("quote");
    let acs = client
        .post(format!("{base}/saml/acs"))
        .form(&[("SAMLResponse", &page[start..end])])
        .send()
        .await
        .expect("acs");
    assert_eq!(acs.status(), 303, "signed in");
}
