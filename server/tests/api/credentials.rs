//! Personal tokens: lifecycle, rotation, bearer authentication and its refusals.
use crate::helpers::*;
use crate::on_both_backends;
use reqwest::Method;
use sqlx::Row;

on_both_backends!(
    a_member_creates_a_token_and_uses_it_on_the_api,
    revoke_all_credentials_kills_every_old_token_and_issues_one,
    rotate_my_key_over_the_api_kills_the_token_it_came_with,
    malformed_tokens_get_401_without_a_database_write,
    a_browser_session_does_not_authenticate_the_api,
    token_lists_never_contain_the_token,
    credential_changes_are_audited_with_actor_and_token,
    concurrent_requests_each_get_their_own_tokens_answer,
);

async fn a_member_creates_a_token_and_uses_it_on_the_api(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_browser, token) = app.member_with_token("grace@example.com").await;
    assert!(token.starts_with("gtu_") && token.len() == 42, "{token}");

    let me = app.api(Method::GET, "/users/me", Some(&token), None).await;
    assert_eq!(me.status(), 200);
    let me: serde_json::Value = me.json().await.unwrap();
    assert_eq!(me["result"]["email"], "grace@example.com");
    assert_eq!(me["result"]["role"], "collaborator");
    assert_eq!(me["result"]["organization_id"], app.state.app.org.id);

    let stored: String = sqlx::query("SELECT token_hash FROM api_tokens")
        .fetch_one(app.state.app.db.pool())
        .await
        .unwrap()
        .try_get("token_hash")
        .unwrap();
    assert_ne!(stored, token, "only a hash is stored");
    assert_eq!(stored.len(), 64);
}

async fn revoke_all_credentials_kills_every_old_token_and_issues_one(backend: Backend) {
    let app = spawn_app(backend).await;
    let (browser, first) = app.member_with_token("grace@example.com").await;
    let second = browser.new_token_via("create_my_token").await;
    let new = browser.new_token_via("revoke_all_my_credentials").await;

    for old in [&first, &second] {
        assert_eq!(
            app.api(Method::GET, "/users/me", Some(old), None)
                .await
                .status(),
            401
        );
    }
    assert_eq!(
        app.api(Method::GET, "/users/me", Some(&new), None)
            .await
            .status(),
        200
    );
    let listed: serde_json::Value = browser
        .call_fn("my_tokens", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        listed.as_array().unwrap().len(),
        1,
        "only the new token is active"
    );
}

async fn rotate_my_key_over_the_api_kills_the_token_it_came_with(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_browser, token) = app.member_with_token("grace@example.com").await;
    let rotated = app
        .api(Method::POST, "/users/me/rotate_key", Some(&token), None)
        .await;
    assert_eq!(rotated.status(), 200);
    let body: serde_json::Value = rotated.json().await.unwrap();
    let new = body["result"]["token"].as_str().unwrap();
    assert_eq!(
        app.api(Method::GET, "/users/me", Some(&token), None)
            .await
            .status(),
        401,
        "the very next request"
    );
    assert_eq!(
        app.api(Method::GET, "/users/me", Some(new), None)
            .await
            .status(),
        200
    );
}

async fn malformed_tokens_get_401_without_a_database_write(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_browser, good) = app.member_with_token("grace@example.com").await;
    let before = (
        app.count("api_tokens").await,
        app.count("audit_events").await,
    );
    let last_used_before: Option<i64> = sqlx::query("SELECT last_used_at FROM api_tokens")
        .fetch_one(app.state.app.db.pool())
        .await
        .unwrap()
        .try_get("last_used_at")
        .unwrap();
    let mut bad_checksum = good.clone();
    let last = bad_checksum.pop().unwrap();
    bad_checksum.push(if last == 'A' { 'B' } else { 'A' });
    let wrong_prefix = good.replacen("gtu_", "ghp_", 1);
    let garbage = "x".repeat(10 * 1024);
    // Well-formed, checksum right, never issued: it reaches the lookup and is still refused.
    let unknown = app::server::tokens::SecretToken::generate(app::server::tokens::TokenKind::User);
    let unknown = unknown.expose().to_string();
    assert_ne!(unknown, good);
    for (name, token) in [
        ("well-formed but unknown", unknown.as_str()),
        ("bad checksum", bad_checksum.as_str()),
        ("wrong prefix", wrong_prefix.as_str()),
        ("empty", ""),
        ("10 KB of garbage", garbage.as_str()),
    ] {
        let response = app.api(Method::GET, "/users/me", Some(token), None).await;
        assert_eq!(response.status(), 401, "{name}");
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "unauthorized", "{name}");
        assert!(
            body["error"]["request_id"]
                .as_str()
                .is_some_and(|r| r.len() == 36),
            "{name}: {body}"
        );
    }
    let missing = app.api(Method::GET, "/users/me", None, None).await;
    assert_eq!(missing.status(), 401);
    let basic = client()
        .get(app.url("/api/v1/users/me"))
        .basic_auth("grace", Some(&good))
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), 401, "only the Bearer scheme");
    assert_eq!(
        (
            app.count("api_tokens").await,
            app.count("audit_events").await
        ),
        before
    );
    let last_used_after: Option<i64> = sqlx::query("SELECT last_used_at FROM api_tokens")
        .fetch_one(app.state.app.db.pool())
        .await
        .unwrap()
        .try_get("last_used_at")
        .unwrap();
    assert_eq!(
        last_used_before, last_used_after,
        "no write for refused tokens"
    );
}

async fn a_browser_session_does_not_authenticate_the_api(backend: Backend) {
    let app = spawn_app(backend).await;
    app.sign_in_as("ada@example.com", "/").await;
    let response = app.get("/api/v1/users/me").await;
    assert_eq!(response.status(), 401);
}

async fn token_lists_never_contain_the_token(backend: Backend) {
    let app = spawn_app(backend).await;
    let (browser, token) = app.member_with_token("grace@example.com").await;
    let listed = browser
        .call_fn("my_tokens", &[])
        .await
        .text()
        .await
        .unwrap();
    assert!(!listed.contains(&token), "{listed}");
    assert!(
        listed.contains(&token[token.len() - 6..]),
        "the last six identify it"
    );
}

async fn credential_changes_are_audited_with_actor_and_token(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_browser, token) = app.member_with_token("grace@example.com").await;
    app.api(Method::POST, "/users/me/rotate_key", Some(&token), None)
        .await;
    let row = sqlx::query(
        "SELECT actor_email, actor_token, target_email, request_id, source_ip FROM audit_events \
         WHERE action = 'token.rotated'",
    )
    .fetch_one(app.state.app.db.pool())
    .await
    .unwrap();
    assert_eq!(
        row.try_get::<String, _>("actor_email").unwrap(),
        "grace@example.com"
    );
    assert_eq!(
        row.try_get::<String, _>("actor_token").unwrap(),
        token[token.len() - 6..]
    );
    assert_eq!(
        row.try_get::<String, _>("target_email").unwrap(),
        "grace@example.com"
    );
    assert_eq!(row.try_get::<String, _>("request_id").unwrap().len(), 36);
    assert_eq!(row.try_get::<String, _>("source_ip").unwrap(), "127.0.0.1");
    let actions: Vec<String> = sqlx::query("SELECT action FROM audit_events ORDER BY at")
        .fetch_all(app.state.app.db.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get("action").unwrap())
        .collect();
    for expected in ["signin.succeeded", "token.created", "token.rotated"] {
        assert!(
            actions.iter().any(|a| a == expected),
            "{expected} in {actions:?}"
        );
    }
}

/// Bearer lookups of concurrent requests share database queries (see `token_lookup`): every
/// request must still get the answer for its own token — its own identity, or 401 for a
/// revoked or unknown token — however the requests are batched.
async fn concurrent_requests_each_get_their_own_tokens_answer(backend: Backend) {
    let app = spawn_app(backend).await;
    // (token, Some(owner email) when it must work, None when it must get 401)
    let mut cases: Vec<(String, Option<String>)> = Vec::new();
    for (i, email) in ["ada@example.com", "grace@example.com", "alan@example.com"]
        .into_iter()
        .enumerate()
    {
        let (browser, first) = app.member_with_token(email).await;
        let second = browser.new_token_via("create_my_token").await;
        if i == 0 {
            // Both revoked by "Revoke all credentials"; only the replacement works.
            let new = browser.new_token_via("revoke_all_my_credentials").await;
            cases.push((first, None));
            cases.push((second, None));
            cases.push((new, Some(email.into())));
        } else {
            cases.push((first, Some(email.into())));
            cases.push((second, Some(email.into())));
        }
    }
    let unknown = app::server::tokens::SecretToken::generate(app::server::tokens::TokenKind::User);
    cases.push((unknown.expose().to_string(), None));

    let http = client();
    let url = app.url("/api/v1/users/me");
    for burst in 0..3 {
        let mut requests = tokio::task::JoinSet::new();
        for n in 0..120 {
            let (token, owner) = cases[(n * 7 + burst) % cases.len()].clone();
            let request = http.get(&url).bearer_auth(&token);
            requests.spawn(async move {
                let response = request.send().await.expect("request");
                let status = response.status().as_u16();
                let body: serde_json::Value = response.json().await.expect("json body");
                (owner, status, body)
            });
        }
        while let Some(done) = requests.join_next().await {
            let (owner, status, body) = done.expect("request task");
            match owner {
                Some(email) => {
                    assert_eq!(status, 200, "{body}");
                    assert_eq!(body["result"]["email"], email.as_str(), "{body}");
                }
                None => {
                    assert_eq!(status, 401, "{body}");
                    assert_eq!(body["error"]["code"], "unauthorized", "{body}");
                }
            }
        }
    }
}

/// The token lookup keeps its own database connection (decision 0005). When PostgreSQL drops
/// it (restart, failover, an administrator), the lookup reconnects and retries: no request
/// fails, and none gets a 401 that would tell a valid client its token is bad.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_lookup_reconnects_after_postgresql_drops_its_connection() {
    let app = spawn_app(Backend::Postgres).await;
    let (_browser, token) = app.member_with_token("grace@example.com").await;
    let status = || app.status_with(&token);
    assert_eq!(status().await, 200);

    // Terminate and count on one connection, held throughout: it is the only one excluded.
    let mut held = app
        .state
        .app
        .db
        .pool()
        .acquire()
        .await
        .expect("a connection");
    let pool = &mut *held;
    sqlx::query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .fetch_all(&mut *pool)
    .await
    .expect("terminate the other connections");
    // Termination is asynchronous: wait until the lookup's connection is really gone.
    let mut gone = false;
    for _ in 0..100 {
        let others: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        .fetch_one(&mut *pool)
        .await
        .expect("count connections")
        .try_get("n")
        .expect("n");
        if others == 0 {
            gone = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(gone, "the lookup's connection was terminated");
    drop(held);

    assert_eq!(status().await, 200, "the first request after the drop");
    assert_eq!(status().await, 200, "and the next");
}
