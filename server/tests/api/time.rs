//! Everything with a time limit, checked by moving the app's injected clock — never by sleeping:
//! the AuthnRequest's ten minutes, the replay cache's retention, the purge, the race between two
//! owners demoting each other, and the Secure cookie on an https public URL.
use crate::helpers::*;
use crate::on_both_backends;
use reqwest::Method;
use serde_json::json;

on_both_backends!(
    an_authn_request_expires_after_ten_minutes,
    the_replay_cache_outlives_the_assertion_and_the_purge_then_clears_it,
    the_purge_removes_only_what_expired,
    two_owners_demoting_each_other_at_once_leave_one_owner,
    a_role_change_waits_for_the_organisation_lock,
    cookies_are_secure_on_an_https_public_url,
);

/// Valid for an hour (samael reads the system clock, our checks the moved one), so only the
/// AuthnRequest's own time limit can refuse it.
fn valid_for_an_hour(r: &mut samael::schema::Response) {
    let later = chrono::Utc::now() + chrono::Duration::hours(1);
    r.assertion
        .as_mut()
        .unwrap()
        .conditions
        .as_mut()
        .unwrap()
        .not_on_or_after = Some(later);
    for d in gatehouse_server::dev_idp::confirmation_data(r) {
        d.not_on_or_after = Some(later);
    }
}

async fn an_authn_request_expires_after_ten_minutes(backend: Backend) {
    let app = spawn_app(backend).await;
    // One browser's sign-in is answered in time, the other's late.
    let late_browser = app.without_cookies();
    let (late, _) = late_browser.start_login("/").await;
    let (in_time, _) = app.start_login("/").await;
    app.advance(9 * 60 + 50);
    let ok = app
        .post_saml_response(&b64(app.crafted_response(
            "grace@example.com",
            &in_time,
            valid_for_an_hour,
        )))
        .await;
    let status = ok.status();
    assert_eq!(
        status,
        303,
        "9 min 50 s: still in time: {}",
        ok.text().await.unwrap()
    );
    app.advance(20);
    let expired = late_browser
        .post_saml_response(&b64(app.crafted_response(
            "alan@example.com",
            &late,
            valid_for_an_hour,
        )))
        .await;
    assert_eq!(expired.status(), 403, "10 min 10 s: too late");
    assert!(expired
        .text()
        .await
        .unwrap()
        .contains("unknown, expired or already used"));
}

async fn the_replay_cache_outlives_the_assertion_and_the_purge_then_clears_it(backend: Backend) {
    let app = spawn_app(backend).await;
    let (first, _) = app.start_login("/").await;
    let mut assertion_id = String::new();
    let xml = app.crafted_response("grace@example.com", &first, |r| {
        assertion_id = r.assertion.as_ref().unwrap().id.clone();
    });
    assert_eq!(app.post_saml_response(&b64(xml)).await.status(), 303);
    let remembered_until: i64 = sqlx::query_scalar::<_, i64>(
        "SELECT expires_at FROM saml_assertions_seen WHERE assertion_id = $1",
    )
    .bind(&assertion_id)
    .fetch_one(app.state.app.db.pool())
    .await
    .unwrap();
    assert!(remembered_until > app.state.app.clock.unix());
    // A purge before then keeps it, and a replay (in a fresh request) is still refused.
    let purge = || {
        app::server::saml_store::purge_expired(app.state.app.db.pool(), app.state.app.clock.unix())
    };
    purge().await.unwrap();
    assert_eq!(app.count("saml_assertions_seen").await, 1);
    let (second, _) = app.start_login("/").await;
    let replay = app.crafted_response("grace@example.com", &second, |r| {
        r.assertion.as_mut().unwrap().id = assertion_id.clone();
    });
    let refused = app.post_saml_response(&b64(replay)).await;
    assert_eq!(refused.status(), 403);
    assert!(refused.text().await.unwrap().contains("already used"));
    // After its retention the purge forgets it.
    app.advance(remembered_until - app.state.app.clock.unix() + 1);
    purge().await.unwrap();
    assert_eq!(app.count("saml_assertions_seen").await, 0);
}

async fn the_purge_removes_only_what_expired(backend: Backend) {
    let app = spawn_app_with(backend, &[("GATEHOUSE_SESSION_IDLE_MINUTES", "30")]).await;
    app.sign_in_as("ada@example.com", "/").await; // a session, a used request, an assertion
    app.start_login("/").await; // an unanswered request
    let purge = || {
        app::server::saml_store::purge_expired(app.state.app.db.pool(), app.state.app.clock.unix())
    };
    assert_eq!(purge().await.unwrap(), 0);
    assert_eq!(app.count("saml_requests").await, 1);
    assert_eq!(app.count("sessions").await, 1);
    assert_eq!(app.count("saml_assertions_seen").await, 1);
    // The request is past its ten minutes and the assertion's window (five minutes and the
    // allowed skew) is over; the session is not idle yet.
    app.advance(11 * 60);
    assert_eq!(purge().await.unwrap(), 2);
    assert_eq!(app.count("saml_requests").await, 0);
    assert_eq!(app.count("saml_assertions_seen").await, 0);
    assert_eq!(app.count("sessions").await, 1);
    app.advance(20 * 60); // 31 idle minutes
    assert_eq!(purge().await.unwrap(), 1);
    assert_eq!(app.count("sessions").await, 0);
}

async fn two_owners_demoting_each_other_at_once_leave_one_owner(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, ada_token) = app.member_with_token("ada@example.com").await;
    let (_, grace_token) = app.member_with_token("grace@example.com").await;
    let ada = app.user_id("ada@example.com").await;
    let grace = app.user_id("grace@example.com").await;
    for round in 0..8 {
        // Both owners again.
        let (owner_token, other) = if app.role_of("ada@example.com").await == "owner" {
            (&ada_token, &grace)
        } else {
            (&grace_token, &ada)
        };
        let promote = app
            .api(
                Method::PATCH,
                &format!("/users/{other}"),
                Some(owner_token),
                Some(json!({"role": "owner"})),
            )
            .await;
        assert_eq!(promote.status(), 200, "round {round}");
        let gate = std::sync::Arc::new(tokio::sync::Barrier::new(2));
        let demote = |token: String, target: String| {
            let app = app.without_cookies();
            let gate = gate.clone();
            tokio::spawn(async move {
                gate.wait().await;
                app.api(
                    Method::PATCH,
                    &format!("/users/{target}"),
                    Some(&token),
                    Some(json!({"role": "collaborator"})),
                )
                .await
                .status()
                .as_u16()
            })
        };
        let a = demote(ada_token.clone(), grace.clone());
        let b = demote(grace_token.clone(), ada.clone());
        let mut statuses = [a.await.unwrap(), b.await.unwrap()];
        statuses.sort();
        let owners = app.count("users WHERE role = 'owner'").await;
        assert_eq!(owners, 1, "round {round}: {statuses:?}");
        assert_eq!(statuses[0], 200, "round {round}: one demotion wins");
        assert!(
            statuses[1] == 403 || statuses[1] == 409,
            "round {round}: the other is refused, {statuses:?}"
        );
    }
}

async fn cookies_are_secure_on_an_https_public_url(backend: Backend) {
    // Served over http here; the browser-facing URL (a TLS proxy in front) is what counts.
    let app = spawn_app_with(
        backend,
        &[("GATEHOUSE_PUBLIC_URL", "https://127.0.0.1:8443")],
    )
    .await;
    let (request, _) = app.start_login("/").await;
    // The test client keeps Secure cookies off plain http, so the binding cookie goes by hand.
    let login = app
        .without_cookies()
        .client
        .get(app.url("/saml/login"))
        .send()
        .await
        .unwrap();
    let binding = login
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("gatehouse_signin="))
        .unwrap();
    assert!(binding.contains("; Secure"), "{binding}");
    let idp_url = url::Url::parse(&location(&login)).unwrap();
    let saml_request = idp_url
        .query_pairs()
        .find(|(k, _)| k == "SAMLRequest")
        .unwrap()
        .1
        .to_string();
    let request2 = gatehouse_server::dev_idp::parse_redirect_request(&saml_request).unwrap();
    assert_ne!(request.id, request2.id);
    let response = b64(app.crafted_response("grace@example.com", &request2, |_| {}));
    let acs = client()
        .post(app.url("/saml/acs"))
        .header("cookie", binding.split(';').next().unwrap())
        .form(&[("SAMLResponse", response.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(acs.status(), 303);
    let session = session_cookie(&acs).expect("session cookie");
    assert!(session.contains("Secure"), "{session}");
    assert!(session.contains("HttpOnly"), "{session}");
}

/// The organisation lock, observed directly: while another transaction holds the
/// organisation's row, a role change waits for it (on SQLite every writer waits anyway).
async fn a_role_change_waits_for_the_organisation_lock(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, ada_token) = app.member_with_token("ada@example.com").await;
    app.member_with_token("grace@example.com").await;
    let grace = app.user_id("grace@example.com").await;
    let mut holder = app.state.app.db.begin_write().await.unwrap();
    sqlx::query("UPDATE organizations SET name = name")
        .execute(&mut *holder)
        .await
        .unwrap();
    let promote = {
        let app = app.without_cookies();
        tokio::spawn(async move {
            app.api(
                Method::PATCH,
                &format!("/users/{grace}"),
                Some(&ada_token),
                Some(json!({"role": "owner"})),
            )
            .await
            .status()
            .as_u16()
        })
    };
    if let Backend::Postgres = backend {
        // Wait until the promotion's transaction is blocked on a lock; without the
        // organisation lock it would commit straight through.
        let mut waiting = false;
        for _ in 0..100 {
            let n: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM pg_stat_activity \
                 WHERE datname = current_database() AND wait_event_type = 'Lock'",
            )
            .fetch_one(app.state.app.db.pool())
            .await
            .unwrap();
            if n > 0 {
                waiting = true;
                break;
            }
            assert!(
                !promote.is_finished(),
                "the role change did not wait for the lock"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(
            waiting,
            "the role change never waited for the organisation lock"
        );
    }
    holder.commit().await.unwrap();
    assert_eq!(promote.await.unwrap(), 200);
    assert_eq!(app.role_of("grace@example.com").await, "owner");
}

/// A test's PostgreSQL database is dropped when the test ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_test_databases_are_dropped_when_the_test_ends() {
    let app = spawn_app(Backend::Postgres).await;
    let name = app.database.clone().expect("a PostgreSQL database");
    let admin = std::env::var("GATEHOUSE_TEST_POSTGRES_URL").unwrap();
    let exists = |name: String, admin: String| async move {
        use sqlx::Connection as _;
        let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM pg_database WHERE datname = $1")
            .bind(name)
            .fetch_one(&mut conn)
            .await
            .unwrap()
    };
    assert_eq!(exists(name.clone(), admin.clone()).await, 1);
    drop(app);
    assert_eq!(exists(name, admin).await, 0);
}
