//! The credential lifecycle: expiry, networks, last use, overlapping rotation, stale keys and
//! the organisation's maximum for personal tokens — with the injected clock, never sleeps.
use crate::helpers::*;
use crate::on_both_backends;
use reqwest::Method;
use serde_json::{json, Value};

on_both_backends!(
    a_key_with_an_expiry_works_until_then_and_then_answers_token_expired,
    a_key_limited_to_networks_refuses_other_sources_and_audits_it,
    last_use_records_time_address_and_client_at_most_once_a_minute,
    overlapping_rotation_keeps_the_old_key_for_the_grace_period_only,
    stale_keys_are_listed_by_days_unused,
    the_organisation_maximum_bounds_personal_tokens,
);

async fn owner(app: &TestApp) -> String {
    app.member_with_token("ada@example.com").await.1
}

/// A service account `name` and one key for it with `body` (name/expiry/networks).
async fn key_with(app: &TestApp, token: &str, name: &str, body: Value) -> reqwest::Response {
    if app
        .api(
            Method::GET,
            &format!("/service_accounts/{name}"),
            Some(token),
            None,
        )
        .await
        .status()
        == 404
    {
        let created = app
            .api(
                Method::POST,
                "/service_accounts",
                Some(token),
                Some(json!({"name": name})),
            )
            .await;
        assert_eq!(created.status(), 201);
    }
    app.api(
        Method::POST,
        &format!("/service_accounts/{name}/api_keys"),
        Some(token),
        Some(body),
    )
    .await
}

async fn new_key(app: &TestApp, token: &str, name: &str, body: Value) -> (String, Value) {
    let response = key_with(app, token, name, body).await;
    assert_eq!(response.status(), 201);
    let v: Value = response.json().await.unwrap();
    (
        v["result"]["token"].as_str().unwrap().to_string(),
        v["result"]["info"].clone(),
    )
}

/// `GET /users/me` with `key`: the status and the error code, if any.
async fn use_key(app: &TestApp, key: &str, headers: &[(&str, &str)]) -> (u16, Option<String>) {
    let mut request = client().get(app.url("/api/v1/users/me")).bearer_auth(key);
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    (status, body["error"]["code"].as_str().map(str::to_string))
}

async fn a_key_with_an_expiry_works_until_then_and_then_answers_token_expired(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = owner(&app).await;
    let now = app.state.app.clock.unix();
    for bad in [
        json!({"expires_at": now - 1}),
        json!({"expires_at": now + 11 * 365 * 86_400}),
    ] {
        assert_eq!(
            key_with(&app, &token, "ci", bad.clone()).await.status(),
            400,
            "{bad}"
        );
    }
    let (key, info) = new_key(
        &app,
        &token,
        "ci",
        json!({"name": "deploy", "expires_at": now + 3600}),
    )
    .await;
    assert_eq!(info["name"], "deploy");
    assert_eq!(info["expires_at"], now + 3600);
    let (forever, info) = new_key(&app, &token, "ci", json!({})).await;
    assert_eq!(
        info["expires_at"],
        Value::Null,
        "service-account keys never expire by default"
    );
    assert_eq!(use_key(&app, &key, &[]).await.0, 200);
    app.advance(3500);
    assert_eq!(use_key(&app, &key, &[]).await.0, 200, "shortly before");
    app.advance(100);
    let (status, code) = use_key(&app, &key, &[]).await;
    assert_eq!((status, code.as_deref()), (401, Some("token_expired")));
    let message: Value = client()
        .get(app.url("/api/v1/users/me"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        message["error"]["message"]
            .as_str()
            .unwrap()
            .contains("expired"),
        "{message}"
    );
    assert_eq!(use_key(&app, &forever, &[]).await.0, 200);
    // The keys view says so.
    let listed: Value = app
        .api(Method::GET, "/api_keys", Some(&token), None)
        .await
        .json()
        .await
        .unwrap();
    assert!(listed["results"]
        .as_array()
        .unwrap()
        .iter()
        .any(|k| k["expires_at"] == now + 3600));
}

async fn a_key_limited_to_networks_refuses_other_sources_and_audits_it(backend: Backend) {
    let app = spawn_app_with(backend, &[("GATEHOUSE_TRUSTED_PROXIES", "127.0.0.1")]).await;
    let token = owner(&app).await;
    assert_eq!(
        key_with(
            &app,
            &token,
            "net",
            json!({"allowed_cidrs": ["10.0.0.0/33"]})
        )
        .await
        .status(),
        400
    );
    let (office, info) = new_key(
        &app,
        &token,
        "net",
        json!({"allowed_cidrs": ["10.1.2.3/8", "2001:db8::/32"]}),
    )
    .await;
    assert_eq!(
        info["allowed_cidrs"],
        json!(["10.0.0.0/8", "2001:db8::/32"]),
        "normalised"
    );
    let (local, _) = new_key(
        &app,
        &token,
        "net",
        json!({"allowed_cidrs": ["127.0.0.0/8"]}),
    )
    .await;
    assert_eq!(use_key(&app, &local, &[]).await.0, 200);
    let (status, code) = use_key(&app, &office, &[]).await;
    assert_eq!((status, code.as_deref()), (401, Some("source_not_allowed")));
    // Through the trusted proxy, the client address is the forwarded one.
    assert_eq!(
        use_key(&app, &office, &[("x-forwarded-for", "10.9.8.7")])
            .await
            .0,
        200
    );
    let (status, _) = use_key(&app, &office, &[("x-forwarded-for", "192.0.2.1")]).await;
    assert_eq!(status, 401);
    assert_eq!(
        app.count_where("audit_events", "action = 'api_key.source_refused'")
            .await,
        2,
        "each refusal is audited"
    );
    assert_eq!(
        app.count_where(
            "audit_events",
            "action = 'api_key.source_refused' AND source_ip = '192.0.2.1'"
        )
        .await,
        1
    );
    // Repeats from the same address within the minute count on that row instead of adding rows:
    // a stolen key tried from outside its networks cannot fill the audit log.
    for _ in 0..3 {
        let (status, _) = use_key(&app, &office, &[("x-forwarded-for", "192.0.2.1")]).await;
        assert_eq!(status, 401);
    }
    assert_eq!(
        app.count_where(
            "audit_events",
            "action = 'api_key.source_refused' AND source_ip = '192.0.2.1' AND repeat_count = 4"
        )
        .await,
        1,
        "one row, counting four refusals"
    );
    assert_eq!(
        app.count_where("audit_events", "action = 'api_key.source_refused'")
            .await,
        2
    );
}

async fn last_use_records_time_address_and_client_at_most_once_a_minute(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = owner(&app).await;
    let (key, _) = new_key(&app, &token, "ua", json!({})).await;
    let last_use = || async {
        let keys: Value = app
            .api(
                Method::GET,
                "/service_accounts/ua/api_keys",
                Some(&token),
                None,
            )
            .await
            .json()
            .await
            .unwrap();
        let k = keys["results"][0].clone();
        (
            k["last_used_at"].clone(),
            k["last_used_ip"].clone(),
            k["last_used_user_agent"].clone(),
        )
    };
    assert_eq!(last_use().await.0, Value::Null);
    assert_eq!(
        use_key(&app, &key, &[("user-agent", "ci-runner/1.0")])
            .await
            .0,
        200
    );
    let first = last_use().await;
    assert_eq!(first.1, "127.0.0.1");
    assert_eq!(first.2, "ci-runner/1.0");
    app.advance(30);
    use_key(&app, &key, &[("user-agent", "other/2.0")]).await;
    assert_eq!(
        last_use().await,
        first,
        "not written again within the minute"
    );
    app.advance(31);
    use_key(&app, &key, &[("user-agent", "other/2.0")]).await;
    let later = last_use().await;
    assert_eq!(later.2, "other/2.0");
    assert_ne!(later.0, first.0);
}

async fn overlapping_rotation_keeps_the_old_key_for_the_grace_period_only(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = owner(&app).await;
    let (old, info) = new_key(
        &app,
        &token,
        "rot",
        json!({"name": "etl", "allowed_cidrs": ["127.0.0.1"]}),
    )
    .await;
    let id = info["id"].as_str().unwrap().to_string();
    let rotate = |id: String, body: Value| {
        let app = &app;
        let token = token.clone();
        async move {
            app.api(
                Method::POST,
                &format!("/api_keys/{id}/rotate"),
                Some(&token),
                Some(body),
            )
            .await
        }
    };
    for bad in [
        json!({"grace_seconds": -1}),
        json!({"grace_seconds": 604_801}),
        json!({}),
    ] {
        assert_eq!(rotate(id.clone(), bad.clone()).await.status(), 400, "{bad}");
    }
    let rotated = rotate(id.clone(), json!({"grace_seconds": 3600})).await;
    assert_eq!(rotated.status(), 200);
    let rotated: Value = rotated.json().await.unwrap();
    let new = rotated["result"]["token"].as_str().unwrap().to_string();
    assert_eq!(rotated["result"]["info"]["name"], "etl", "same name");
    assert_eq!(
        rotated["result"]["info"]["allowed_cidrs"],
        json!(["127.0.0.1/32"]),
        "same networks"
    );
    assert_eq!(
        use_key(&app, &old, &[]).await.0,
        200,
        "both work during the overlap"
    );
    assert_eq!(use_key(&app, &new, &[]).await.0, 200);
    app.advance(3600);
    assert_eq!(
        use_key(&app, &old, &[]).await.1.as_deref(),
        Some("token_expired")
    );
    assert_eq!(use_key(&app, &new, &[]).await.0, 200);
    assert_eq!(
        rotate(id.clone(), json!({"grace_seconds": 0}))
            .await
            .status(),
        404,
        "an expired key cannot be rotated again"
    );
    let new_id = rotated["result"]["info"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let again: Value = rotate(new_id, json!({"grace_seconds": 0}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        use_key(&app, &new, &[]).await.0,
        401,
        "no overlap: gone at once"
    );
    assert_eq!(
        use_key(&app, again["result"]["token"].as_str().unwrap(), &[])
            .await
            .0,
        200
    );
    // A personal token is not a service-account key.
    let mine: Value = app
        .api(Method::GET, "/api_keys", Some(&token), None)
        .await
        .json()
        .await
        .unwrap();
    let personal = mine["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["owner_kind"] == "user")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        rotate(personal, json!({"grace_seconds": 60}))
            .await
            .status(),
        404
    );
    assert_eq!(
        app.count_where("audit_events", "action = 'api_key.rotated'")
            .await,
        2
    );
}

async fn stale_keys_are_listed_by_days_unused(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = owner(&app).await;
    let (used, used_info) = new_key(&app, &token, "stale", json!({"name": "used"})).await;
    let (_never, never_info) = new_key(&app, &token, "stale", json!({"name": "never"})).await;
    let stale = |days: u32| {
        let app = &app;
        let token = token.clone();
        async move {
            let r = app
                .api(
                    Method::GET,
                    &format!("/api_keys?unused_for_days={days}"),
                    Some(&token),
                    None,
                )
                .await;
            assert_eq!(r.status(), 200);
            let v: Value = r.json().await.unwrap();
            v["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|k| k["id"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    assert!(stale(90).await.is_empty());
    app.advance(91 * 86_400);
    let both = stale(90).await;
    assert!(both.contains(&used_info["id"].as_str().unwrap().to_string()));
    assert!(
        both.contains(&never_info["id"].as_str().unwrap().to_string()),
        "never used counts from creation"
    );
    use_key(&app, &used, &[]).await;
    let after = stale(90).await;
    assert!(
        !after.contains(&used_info["id"].as_str().unwrap().to_string()),
        "used again: fresh"
    );
    assert!(after.contains(&never_info["id"].as_str().unwrap().to_string()));
    assert_eq!(
        app.api(
            Method::GET,
            "/api_keys?unused_for_days=99999",
            Some(&token),
            None
        )
        .await
        .status(),
        400
    );
}

async fn the_organisation_maximum_bounds_personal_tokens(backend: Backend) {
    let app = spawn_app(backend).await;
    let (browser, token) = app.member_with_token("ada@example.com").await;
    let (_collab, collab) = app.member_with_token("grace@example.com").await;
    let policy = |t: &str| {
        let app = &app;
        let t = t.to_string();
        async move {
            app.api(Method::GET, "/organization/token_policy", Some(&t), None)
                .await
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    assert_eq!(
        policy(&collab).await["result"]["personal_token_max_days"],
        Value::Null
    );
    let set = |body: Value| {
        let app = &app;
        let token = token.clone();
        async move {
            app.api(
                Method::PUT,
                "/organization/token_policy",
                Some(&token),
                Some(body),
            )
            .await
        }
    };
    assert_eq!(
        set(json!({"personal_token_max_days": 0})).await.status(),
        400
    );
    assert_eq!(
        set(json!({"personal_token_max_days": 30})).await.status(),
        200
    );
    assert_eq!(
        policy(&collab).await["result"]["personal_token_max_days"],
        30
    );
    let now = app.state.app.clock.unix();
    let create = |expires_at: Option<i64>| {
        let browser = &browser;
        async move {
            let at = expires_at.map(|t| t.to_string());
            let mut args = vec![("name", "laptop")];
            if let Some(at) = at.as_deref() {
                args.push(("expires_at", at));
            }
            browser.call_fn("create_my_token", &args).await
        }
    };
    let forever = create(None).await;
    assert_eq!(forever.status(), 400);
    assert!(
        forever.text().await.unwrap().contains("30 days"),
        "the message names the limit"
    );
    assert_eq!(create(Some(now + 31 * 86_400)).await.status(), 400);
    assert_eq!(create(Some(now + 7 * 86_400)).await.status(), 200);
    let rotated: Value = browser
        .call_fn("revoke_all_my_credentials", &[])
        .await
        .json()
        .await
        .unwrap();
    let expiry = rotated["info"]["expires_at"].as_i64().unwrap();
    assert!(
        expiry <= now + 30 * 86_400 + 5,
        "the replacement obeys the maximum too"
    );
    assert_eq!(
        set(json!({"personal_token_max_days": null})).await.status(),
        401,
        "that token was revoked"
    );
    assert_eq!(
        app.count_where("audit_events", "action = 'org.token_policy_changed'")
            .await,
        1
    );

    let configured = spawn_app_with(backend, &[("GATEHOUSE_PERSONAL_TOKEN_MAX_DAYS", "10")]).await;
    let (_b, t) = configured
        .member_with_token_expiring("ada@example.com", 5)
        .await;
    let seen: Value = configured
        .api(Method::GET, "/organization/token_policy", Some(&t), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        seen["result"],
        json!({"personal_token_max_days": 10, "set_by_configuration": true})
    );
    assert_eq!(
        configured
            .api(
                Method::PUT,
                "/organization/token_policy",
                Some(&t),
                Some(json!({"personal_token_max_days": 20}))
            )
            .await
            .status(),
        400
    );
}
