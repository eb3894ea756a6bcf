//! Throughput of an authenticated API call (`GET /api/v1/users/me`, bearer token: format
//! check, hash, the token and its owner read by one indexed query, batched with concurrent
//! requests) against an unauthenticated route of the same
//! server (`GET /healthz`), run side by side in alternating rounds. Prints requests/second
//! and the ratio (the goal is at least 60 %), then the latency of each route one request at a
//! time. Results go to docs/benchmarks.md.
//!
//! `cargo bench -p gatehouse-server --bench api_auth` (SQLite; set GATEHOUSE_BENCH_DATABASE_URL
//! to a postgres:// URL to measure PostgreSQL).
use app::model::Role;
use app::server::clock::Clock;
use app::server::credentials;
use app::server::tokens::TokenKind;
use app::server::users::{self, SignInProfile};
use gatehouse_server::config::Config;
use gatehouse_server::Application;
use std::collections::HashMap;
use std::time::{Duration, Instant};

const REQUESTS_PER_ROUND: usize = 10_000;
const CONCURRENCY: usize = 32;
const ROUNDS: usize = 9;
const SEQUENTIAL: usize = 3_000;

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let dir = std::env::temp_dir().join(format!("gatehouse-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let database_url = std::env::var("GATEHOUSE_BENCH_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}/bench.db", dir.display()));
    let env: HashMap<String, String> = HashMap::from([
        ("GATEHOUSE_PUBLIC_URL".into(), format!("http://{addr}")),
        ("GATEHOUSE_METRICS_ADDR".into(), "127.0.0.1:0".into()),
        ("GATEHOUSE_DATABASE_URL".into(), database_url),
        ("GATEHOUSE_LOG".into(), "warn".into()),
    ]);
    let config = Config::from_sources(None, &|k| env.get(k).cloned()).expect("config");
    let app = Application::build_on(listener, config, Clock::system())
        .await
        .expect("app");
    let state = app.state().app.clone();
    tokio::spawn(app.run());

    let now = state.clock.unix();
    let mut tx = state.db.pool().begin().await.expect("tx");
    let profile = SignInProfile {
        email: "bench@example.com".into(),
        display_name: "Bench".into(),
        initial_role: Role::Collaborator,
    };
    let user = users::upsert_on_sign_in(&mut tx, &state.org.id, &profile, now)
        .await
        .expect("user");
    let actor = app::server::actor::Actor::from_user(&user);
    let token = credentials::insert_token(
        &mut tx,
        &state.org.id,
        TokenKind::User,
        &user.id,
        "bench",
        &actor,
        now,
    )
    .await
    .expect("token")
    .token;
    // The same person's second token, with every per-key check the lifecycle added in force:
    // an expiry to compare and a network allow-list to match the client against.
    let restricted = credentials::insert_token_with(
        &mut tx,
        &state.org.id,
        TokenKind::User,
        &user.id,
        "bench, restricted",
        &actor,
        now,
        &credentials::KeyOptions {
            expires_at: Some(now + 86_400),
            allowed_cidrs: vec![
                "10.0.0.0/8".into(),
                "2001:db8::/32".into(),
                "127.0.0.0/8".into(),
            ],
        },
    )
    .await
    .expect("restricted token")
    .token;
    tx.commit().await.expect("commit");

    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CONCURRENCY)
        .build()
        .expect("client");
    let base = format!("http://{addr}");
    let health = format!("{base}/healthz");
    let me = format!("{base}/api/v1/users/me");
    run(&client, &health, None, 500).await;
    run(&client, &me, Some(&token), 500).await;
    run(&client, &me, Some(&restricted), 500).await;

    // Rounds alternate, and each ratio compares two runs made seconds apart: on a shared
    // two-core machine the absolute numbers drift between rounds, the paired ratio much less.
    let (mut open, mut authed, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    let (mut limited, mut limited_ratios) = (Vec::new(), Vec::new());
    for round in 1..=ROUNDS {
        let a = run(&client, &health, None, REQUESTS_PER_ROUND).await;
        let b = run(&client, &me, Some(&token), REQUESTS_PER_ROUND).await;
        let c = run(&client, &me, Some(&restricted), REQUESTS_PER_ROUND).await;
        let ratio = 100.0 * b / a;
        println!(
            "round {round}: /healthz {a:>8.0} req/s   /api/v1/users/me {b:>8.0} req/s   ratio {ratio:>5.1} %   \
             restricted key {c:>8.0} req/s ({:>5.1} % of the plain key)",
            100.0 * c / b
        );
        open.push(a);
        authed.push(b);
        ratios.push(ratio);
        limited.push(c);
        limited_ratios.push(100.0 * c / b);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(|x, y| x.total_cmp(y));
        v[v.len() / 2]
    };
    let (a, b, r) = (median(&mut open), median(&mut authed), median(&mut ratios));
    println!(
        "median: /healthz {a:.0} req/s, /api/v1/users/me {b:.0} req/s, ratio {r:.1} % (median of the \
         paired rounds; goal >= 60 %); {REQUESTS_PER_ROUND} requests x {ROUNDS} rounds, \
         {CONCURRENCY} concurrent, client and server on one machine"
    );
    let (c, rc) = (median(&mut limited), median(&mut limited_ratios));
    println!(
        "median: a key with an expiry and three networks {c:.0} req/s, {rc:.1} % of the plain key \
         (the lifecycle checks; goal >= 95 %)"
    );
    // One request at a time: what the batched lookup costs when there is nobody to batch with.
    let a = 1e6 / run_with(&client, &health, None, SEQUENTIAL, 1).await;
    let b = 1e6 / run_with(&client, &me, Some(&token), SEQUENTIAL, 1).await;
    println!(
        "one at a time: /healthz {a:.0} us/request, /api/v1/users/me {b:.0} us/request \
         ({SEQUENTIAL} requests each)"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Sends `n` GETs with `CONCURRENCY` in flight; returns requests per second.
async fn run(client: &reqwest::Client, url: &str, token: Option<&str>, n: usize) -> f64 {
    run_with(client, url, token, n, CONCURRENCY).await
}

/// Sends `n` GETs with `concurrency` in flight; returns requests per second.
async fn run_with(
    client: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    n: usize,
    concurrency: usize,
) -> f64 {
    let start = Instant::now();
    let per_worker = n / concurrency;
    let mut workers = Vec::with_capacity(concurrency);
    for _ in 0..concurrency {
        let client = client.clone();
        let url = url.to_string();
        let token = token.map(str::to_string);
        workers.push(tokio::spawn(async move {
            for _ in 0..per_worker {
                let mut request = client.get(&url);
                if let Some(t) = &token {
                    request = request.bearer_auth(t);
                }
                let response = request.send().await.expect("request");
                assert!(response.status().is_success(), "{}", response.status());
                let _ = response.bytes().await;
            }
        }));
    }
    for w in workers {
        w.await.expect("worker");
    }
    let elapsed = start.elapsed().max(Duration::from_micros(1));
    (per_worker * concurrency) as f64 / elapsed.as_secs_f64()
}
