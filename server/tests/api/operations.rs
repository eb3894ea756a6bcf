//! Running it (issue 15): readiness, metrics on their own listener, an unreachable database
//! answered 503 + Retry-After (never 401 or 500), and replicas starting together.
use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    readyz_says_ready_only_when_the_schema_is_the_one_this_binary_expects,
    metrics_are_served_on_their_own_listener_and_never_on_the_public_port,
    a_database_that_cannot_be_reached_is_503_with_retry_after,
    replicas_starting_together_on_an_empty_database_set_up_one_organisation,
);

async fn readyz_says_ready_only_when_the_schema_is_the_one_this_binary_expects(backend: Backend) {
    let app = spawn_app(backend).await;
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), 200);
    assert_eq!(ready.text().await.unwrap(), "ready");

    // A newer release migrated the database (one more migration than this binary knows).
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, installed_on, success, checksum, execution_time) \
         VALUES (99991231000000, 'from a newer release', CURRENT_TIMESTAMP, TRUE, $1, 0)",
    )
    .bind(vec![0u8; 48])
    .execute(app.state.app.db.pool())
    .await
    .unwrap();
    let not_ready = app.get("/readyz").await;
    assert_eq!(not_ready.status(), 503);
    assert!(not_ready.headers().contains_key("retry-after"));
    let body = not_ready.text().await.unwrap();
    assert!(body.contains("migrations"), "{body}");
    // Liveness is a different question: the process is up.
    let health = app.get("/healthz").await;
    assert_eq!(health.status(), 200);
}

async fn metrics_are_served_on_their_own_listener_and_never_on_the_public_port(backend: Backend) {
    let app = spawn_app(backend).await;
    let metrics_url = app.metrics_url.clone().expect("a metrics listener");
    let (_browser, token) = app.member_with_token("ada@example.com").await;
    for _ in 0..3 {
        assert_eq!(app.status_with(&token).await, 200);
    }
    // A refused SAML response, counted by reason.
    let refused = app
        .client
        .post(app.url("/saml/acs"))
        .form(&[("SAMLResponse", "bm90IHNhbWw=")])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);

    let public = app.get("/metrics").await;
    assert_ne!(public.status(), 200, "no metrics on the public port");

    let scrape = reqwest::get(&metrics_url).await.unwrap();
    assert_eq!(scrape.status(), 200);
    assert!(scrape.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    let text = scrape.text().await.unwrap();
    // Counters are per process (tests share one): look for the series, at least our 3.
    let me_ok = text
        .lines()
        .find(|l| {
            l.starts_with("gatehouse_http_requests_total{route=\"/api/v1/users/me\",method=\"GET\",status=\"200\"}")
        })
        .expect("the route's counter");
    let n: u64 = me_ok.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(n >= 3, "{me_ok}");
    for series in [
        "gatehouse_http_request_duration_seconds_bucket{route=\"/api/v1/users/me\",method=\"GET\",le=\"+Inf\"}",
        "gatehouse_token_lookup_batch_size_bucket{le=\"1\"}",
        "gatehouse_saml_refusals_total{reason=\"Malformed\"}",
        "gatehouse_rate_limited_total{limit=\"signin\"}",
        "gatehouse_db_pool_connections{state=\"idle\"}",
    ] {
        assert!(text.contains(series), "missing {series} in\n{text}");
    }
    // Paths are labelled by route pattern, never by what the client sent.
    let _ = app.get("/no/such/page/made-up-by-a-client").await;
    let text = reqwest::get(&metrics_url)
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!text.contains("made-up-by-a-client"));
}

async fn a_database_that_cannot_be_reached_is_503_with_retry_after(backend: Backend) {
    let app = spawn_app(backend).await;
    let (browser, token) = app.member_with_token("ada@example.com").await;
    let list = || {
        app.api(
            reqwest::Method::GET,
            "/service_accounts",
            Some(&token),
            None,
        )
    };
    assert_eq!(list().await.status(), 200);
    // The pool is gone (as when every connection fails): the token is still valid, so the
    // answer is "try again", not "unauthorized" and not a bug report.
    app.state.app.db.close().await;
    let refused = list().await;
    assert_eq!(refused.status(), 503);
    assert!(refused.headers().contains_key("retry-after"));
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unavailable", "{body}");
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), 503);
    // A console page with a session: the same "try again", not a sign-in redirect nor a 500.
    let page = browser.get("/credentials").await;
    assert_eq!(page.status(), 503);
    assert!(page.headers().contains_key("retry-after"));
    assert!(page.text().await.unwrap().contains("Try again in a moment"));
    // A server function with that session (what the console's islands call): the same.
    let call = browser.me(None).await;
    assert_eq!(call.status(), 503);
    assert!(call.headers().contains_key("retry-after"));
}

async fn replicas_starting_together_on_an_empty_database_set_up_one_organisation(backend: Backend) {
    // Two applications built at once on one fresh database (migrations, organisation, SP key).
    let dir = std::env::temp_dir().join(format!("gatehouse-two-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let fresh = fresh_database_url(backend, &dir).await;
    let env = [("GATEHOUSE_DATABASE_URL", fresh.as_str())];
    let (a, b) = tokio::join!(spawn_app_with(backend, &env), spawn_app_with(backend, &env));
    assert_eq!(a.state.app.org.id, b.state.app.org.id, "one organisation");
    let orgs: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM organizations")
        .fetch_one(a.state.app.db.pool())
        .await
        .unwrap();
    assert_eq!(orgs, 1);
    for app in [&a, &b] {
        let ready = app.get("/readyz").await;
        assert_eq!(ready.status(), 200);
    }
}
