//! Service accounts and their keys, over the API and the server functions.
use crate::helpers::*;
use crate::on_both_backends;
use reqwest::Method;
use serde_json::{json, Value};

on_both_backends!(
    the_keys_view_pages_a_filtered_list_exactly,
    a_service_account_key_rotates_itself_and_leaves_its_siblings,
    names_follow_the_rules_and_are_unique,
    a_key_is_shown_exactly_once_and_acts_as_its_account,
    revoke_all_and_delete_kill_keys_immediately,
    a_deleted_name_can_be_reused_as_a_new_identity,
    an_owner_role_service_account_can_automate,
    the_keys_view_filters_by_email_and_revokes_one_key,
    concurrent_key_creation_racing_revoke_all_loses_nothing,
    every_owner_server_function_refuses_collaborators_and_anonymous_callers,
    emergency_revoke_takes_exactly_the_matching_keys_in_one_audited_step,
    a_hostile_filter_in_the_address_stays_data_in_the_keys_island,
);

/// An owner's token, for the API.
async fn owner(app: &TestApp) -> String {
    app.member_with_token("ada@example.com").await.1
}

async fn create_account(app: &TestApp, token: &str, name: &str) -> Value {
    let response = app
        .api(
            Method::POST,
            "/service_accounts",
            Some(token),
            Some(json!({"name": name})),
        )
        .await;
    assert_eq!(response.status(), 201, "create {name}");
    response.json::<Value>().await.unwrap()["result"].clone()
}

async fn create_key(app: &TestApp, token: &str, account: &str) -> String {
    let response = app
        .api(
            Method::POST,
            &format!("/service_accounts/{account}/api_keys"),
            Some(token),
            None,
        )
        .await;
    assert_eq!(response.status(), 201, "key for {account}");
    response.json::<Value>().await.unwrap()["result"]["token"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn names_follow_the_rules_and_are_unique(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = owner(&app).await;
    for (name, why) in [
        ("", "must not be empty"),
        ("ETL", "only lowercase letters, digits and hyphens"),
        ("9lives", "must start with a lowercase letter"),
        (&"a".repeat(64) as &str, "at most 63"),
        ("etl_prod", "'_' is not allowed"),
    ] {
        let response = app
            .api(
                Method::POST,
                "/service_accounts",
                Some(&token),
                Some(json!({"name": name})),
            )
            .await;
        assert_eq!(response.status(), 400, "{name:?}");
        let body: Value = response.json().await.unwrap();
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.starts_with("name: ") && message.contains(why),
            "{name:?}: {message}"
        );
    }
    let account = create_account(&app, &token, "etl-prod").await;
    assert_eq!(
        account["email"],
        format!("etl-prod@org-{}.serviceaccount.com", app.state.app.org.id)
    );
    assert_eq!(account["role"], "collaborator");
    assert!(account["id"].as_str().unwrap().starts_with("sa_"));
    let again = app
        .api(
            Method::POST,
            "/service_accounts",
            Some(&token),
            Some(json!({"name": "etl-prod"})),
        )
        .await;
    assert_eq!(again.status(), 409);
    assert_eq!(app.count("service_accounts").await, 1);
    let by_name: Value = app
        .api(
            Method::GET,
            "/service_accounts/etl-prod",
            Some(&token),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(by_name["result"]["id"], account["id"]);
    let listed: Value = app
        .api(
            Method::GET,
            "/service_accounts?email=etl",
            Some(&token),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["results"].as_array().unwrap().len(), 1);
    let members: Value = app
        .api(
            Method::GET,
            "/collaborators?is_service_account=true",
            Some(&token),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(members["results"][0]["email"], account["email"]);
    assert_eq!(members["results"][0]["is_service_account"], true);
}

async fn a_key_is_shown_exactly_once_and_acts_as_its_account(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = owner(&app).await;
    create_account(&app, &token, "ci").await;
    let created = app
        .api(
            Method::POST,
            "/service_accounts/ci/api_keys",
            Some(&token),
            Some(json!({"name": "github"})),
        )
        .await;
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    let key = created["result"]["token"].as_str().unwrap().to_string();
    assert!(key.starts_with("gts_"));
    assert_eq!(created["result"]["info"]["last_six"], key[key.len() - 6..]);

    // Every other response of this scenario, JSON API and console alike, must not carry it.
    let mut bodies = Vec::new();
    for path in [
        "/service_accounts",
        "/service_accounts/ci",
        "/service_accounts/ci/api_keys",
        "/api_keys",
        "/api_keys?email=ci@",
        "/collaborators",
    ] {
        bodies.push(
            app.api(Method::GET, path, Some(&token), None)
                .await
                .text()
                .await
                .unwrap(),
        );
    }
    let owner_browser = app.without_cookies();
    owner_browser.sign_in_as("ada@example.com", "/").await;
    for (endpoint, args) in [
        ("owner/service_accounts", vec![]),
        ("owner/service_account_keys", vec![("account", "ci")]),
        ("owner/api_keys", vec![]),
        ("owner/audit", vec![]),
    ] {
        bodies.push(
            owner_browser
                .call_fn(endpoint, &args)
                .await
                .text()
                .await
                .unwrap(),
        );
    }
    bodies.push(
        app.api(Method::GET, "/users/me", Some(&key), None)
            .await
            .text()
            .await
            .unwrap(),
    );
    for body in &bodies {
        assert!(!body.contains(&key), "the key leaked: {body}");
    }
    assert!(
        bodies.iter().any(|b| b.contains(&key[key.len() - 6..])),
        "the last six identify it"
    );

    let me: Value = serde_json::from_str(bodies.last().unwrap()).unwrap();
    assert_eq!(me["result"]["kind"], "service_account");
    assert_eq!(
        me["result"]["email"],
        format!("ci@org-{}.serviceaccount.com", app.state.app.org.id)
    );
    assert_eq!(me["result"]["role"], "collaborator");
    let refused = app
        .api(Method::GET, "/service_accounts", Some(&key), None)
        .await;
    assert_eq!(
        refused.status(),
        403,
        "a collaborator-role account is no owner"
    );
}

async fn revoke_all_and_delete_kill_keys_immediately(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = owner(&app).await;
    create_account(&app, &token, "batch").await;
    let (a, b) = (
        create_key(&app, &token, "batch").await,
        create_key(&app, &token, "batch").await,
    );
    assert_eq!(
        (app.status_with(&a).await, app.status_with(&b).await),
        (200, 200)
    );
    let revoked: Value = app
        .api(
            Method::POST,
            "/service_accounts/batch/api_keys/revoke_all",
            Some(&token),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(revoked["result"]["revoked"], 2);
    assert_eq!(
        (app.status_with(&a).await, app.status_with(&b).await),
        (401, 401)
    );

    let c = create_key(&app, &token, "batch").await;
    assert_eq!(app.status_with(&c).await, 200);
    assert_eq!(
        app.api(
            Method::DELETE,
            "/service_accounts/batch",
            Some(&token),
            None
        )
        .await
        .status(),
        204
    );
    assert_eq!(
        app.status_with(&c).await,
        401,
        "deleting the account kills its keys"
    );
    assert_eq!(
        app.api(Method::GET, "/service_accounts/batch", Some(&token), None)
            .await
            .status(),
        404
    );
    assert_eq!(
        app.api(
            Method::DELETE,
            "/service_accounts/batch",
            Some(&token),
            None
        )
        .await
        .status(),
        404
    );
}

async fn a_deleted_name_can_be_reused_as_a_new_identity(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = owner(&app).await;
    let first = create_account(&app, &token, "reused").await;
    let old_key = create_key(&app, &token, "reused").await;
    app.api(
        Method::DELETE,
        "/service_accounts/reused",
        Some(&token),
        None,
    )
    .await;
    let second = create_account(&app, &token, "reused").await;
    assert_ne!(first["id"], second["id"]);
    assert_eq!(first["email"], second["email"]);
    assert_eq!(app.status_with(&old_key).await, 401, "old keys stay dead");
    let keys: Value = app
        .api(
            Method::GET,
            "/service_accounts/reused/api_keys",
            Some(&token),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(keys["results"].as_array().unwrap().len(), 0);
}

async fn an_owner_role_service_account_can_automate(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = owner(&app).await;
    let bot = app
        .api(
            Method::POST,
            "/service_accounts",
            Some(&token),
            Some(json!({"name": "terraform", "role": "owner"})),
        )
        .await;
    assert_eq!(bot.status(), 201);
    let bot_key = create_key(&app, &token, "terraform").await;
    create_account(&app, &bot_key, "made-by-terraform").await;
    let key = create_key(&app, &bot_key, "made-by-terraform").await;
    assert_eq!(app.status_with(&key).await, 200);
    let audited = app
        .count("audit_events WHERE action = 'service_account.created' AND actor_kind = 'service_account'")
        .await;
    assert_eq!(audited, 1);
}

async fn a_service_account_key_rotates_itself_and_leaves_its_siblings(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = owner(&app).await;
    create_account(&app, &token, "rotator").await;
    let own = create_key(&app, &token, "rotator").await;
    let sibling = create_key(&app, &token, "rotator").await;
    let rotated = app
        .api(Method::POST, "/users/me/rotate_key", Some(&own), None)
        .await;
    assert_eq!(rotated.status(), 200);
    let body: Value = rotated.json().await.unwrap();
    let new = body["result"]["token"].as_str().unwrap().to_string();
    assert!(new.starts_with("gts_"));
    assert_eq!(
        body["result"]["info"]["name"], "API key",
        "same name as the key it replaces"
    );
    assert_eq!(
        app.status_with(&own).await,
        401,
        "the presented key is revoked"
    );
    assert_eq!(app.status_with(&new).await, 200);
    assert_eq!(
        app.status_with(&sibling).await,
        200,
        "other keys keep working"
    );
    let me: Value = app
        .api(Method::GET, "/users/me", Some(&new), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["result"]["kind"], "service_account");
    // The old key cannot rotate again.
    let again = app
        .api(Method::POST, "/users/me/rotate_key", Some(&own), None)
        .await;
    assert_eq!(again.status(), 401);
    let audited = app
        .count("audit_events WHERE action = 'api_key.rotated'")
        .await;
    assert_eq!(audited, 1);
}

/// Walks `/api_keys` with `query` (and `count`); returns the key ids and the pages taken.
async fn walk_keys(app: &TestApp, token: &str, query: &str, count: usize) -> (Vec<Value>, usize) {
    let mut seen = Vec::new();
    let mut next: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut path = format!("/api_keys?count={count}{query}");
        if let Some(t) = &next {
            path.push_str(&format!("&paging_token={t}"));
        }
        let response = app.api(Method::GET, &path, Some(token), None).await;
        assert_eq!(response.status(), 200, "{path}");
        let page: Value = response.json().await.unwrap();
        pages += 1;
        let results = page["results"].as_array().unwrap();
        assert!(!results.is_empty(), "{path}: a token led to an empty page");
        seen.extend(results.iter().cloned());
        match page["metadata"]["next_paging_token"].as_str() {
            Some(t) => next = Some(t.to_string()),
            None => break,
        }
        assert!(pages <= 20, "paging does not end");
    }
    (seen, pages)
}

async fn the_keys_view_pages_a_filtered_list_exactly(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = owner(&app).await;
    for (name, keys) in [("etl-a", 3), ("etl-b", 3), ("serving", 2)] {
        create_account(&app, &token, name).await;
        for _ in 0..keys {
            create_key(&app, &token, name).await;
        }
    }
    // Six etl keys: pages of 2 and 3 divide them exactly, 4 does not, 6 is one page.
    for (count, pages_expected) in [(2, 3), (3, 2), (4, 2), (6, 1)] {
        let (seen, pages) = walk_keys(&app, &token, "&email=etl-", count).await;
        assert_eq!(pages, pages_expected, "count={count}");
        let mut ids: Vec<&str> = seen.iter().map(|k| k["id"].as_str().unwrap()).collect();
        assert_eq!(ids.len(), 6, "count={count}");
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 6, "count={count}: a key twice");
        assert!(seen
            .iter()
            .all(|k| k["owner_email"].as_str().unwrap().starts_with("etl-")));
    }
    // An exact email across pages.
    let exact = format!("etl-b@org-{}.serviceaccount.com", app.state.app.org.id);
    let (seen, pages) = walk_keys(&app, &token, &format!("&email={exact}"), 1).await;
    assert_eq!((seen.len(), pages), (3, 3));
}

async fn the_keys_view_filters_by_email_and_revokes_one_key(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = owner(&app).await;
    for name in ["etl-a", "etl-b", "serving"] {
        create_account(&app, &token, name).await;
        create_key(&app, &token, name).await;
    }
    let serving_key = create_key(&app, &token, "serving").await;
    let all: Value = app
        .api(Method::GET, "/api_keys", Some(&token), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        all["results"].as_array().unwrap().len(),
        5,
        "4 account keys and the owner's token"
    );
    let etl: Value = app
        .api(Method::GET, "/api_keys?email=etl-", Some(&token), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(etl["results"].as_array().unwrap().len(), 2);
    let exact_email = format!("serving@org-{}.serviceaccount.com", app.state.app.org.id);
    let serving: Value = app
        .api(
            Method::GET,
            &format!("/api_keys?email={exact_email}"),
            Some(&token),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    let serving = serving["results"].as_array().unwrap();
    assert_eq!(serving.len(), 2);
    assert!(serving
        .iter()
        .all(|k| k["owner_email"] == exact_email.as_str()));
    assert_eq!(serving[0]["created_by"], "ada@example.com");
    // Newest first at one-second resolution: find the key by its last six.
    let newest = serving
        .iter()
        .find(|k| k["last_six"] == serving_key[serving_key.len() - 6..])
        .expect("the key is listed")["id"]
        .as_str()
        .unwrap();
    assert_eq!(
        app.api(
            Method::DELETE,
            &format!("/api_keys/{newest}"),
            Some(&token),
            None
        )
        .await
        .status(),
        204
    );
    assert_eq!(app.status_with(&serving_key).await, 401);
    assert_eq!(
        app.api(
            Method::DELETE,
            &format!("/api_keys/{newest}"),
            Some(&token),
            None
        )
        .await
        .status(),
        404
    );
    // Paging walks every key exactly once.
    let mut seen = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let path = match &next {
            Some(t) => format!("/api_keys?count=2&paging_token={t}"),
            None => "/api_keys?count=2".to_string(),
        };
        let page: Value = app
            .api(Method::GET, &path, Some(&token), None)
            .await
            .json()
            .await
            .unwrap();
        seen.extend(
            page["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|k| k["id"].as_str().unwrap().to_string()),
        );
        match page["metadata"]["next_paging_token"].as_str() {
            Some(t) => next = Some(t.to_string()),
            None => break,
        }
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!((seen.len(), unique.len()), (4, 4));
}

async fn concurrent_key_creation_racing_revoke_all_loses_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = owner(&app).await;
    create_account(&app, &token, "racy").await;
    let create = |app_base: String, token: String| async move {
        let started = std::time::Instant::now();
        let response = client()
            .post(format!("{app_base}/api/v1/service_accounts/racy/api_keys"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        let body: Value = response.json().await.unwrap();
        (
            started,
            std::time::Instant::now(),
            body["result"]["token"].as_str().unwrap().to_string(),
        )
    };
    // Keys that exist before revoke-all: all must die.
    let mut before = Vec::new();
    for _ in 0..5 {
        before.push(create(app.base.clone(), token.clone()).await.2);
    }
    // Creations and revoke-all released together.
    let gate = std::sync::Arc::new(tokio::sync::Barrier::new(41));
    let mut creations = Vec::new();
    for _ in 0..40 {
        let (base, token, gate) = (app.base.clone(), token.clone(), gate.clone());
        creations.push(tokio::spawn(async move {
            gate.wait().await;
            create(base, token).await
        }));
    }
    gate.wait().await;
    let revoke_started = std::time::Instant::now();
    let revoked = app
        .api(
            Method::POST,
            "/service_accounts/racy/api_keys/revoke_all",
            Some(&token),
            None,
        )
        .await;
    let revoke_returned = std::time::Instant::now();
    assert_eq!(revoked.status(), 200);
    let revoked_count = revoked.json::<Value>().await.unwrap()["result"]["revoked"]
        .as_u64()
        .unwrap_or_default();
    let mut raced = Vec::new();
    for c in creations {
        raced.push(c.await.unwrap());
    }
    // The race really happened: some creation was in flight while revoke-all ran.
    assert!(
        raced
            .iter()
            .any(|(started, returned, _)| *started < revoke_returned && *returned > revoke_started),
        "no creation overlapped the revoke-all; the test did not race"
    );
    for key in &before {
        assert_eq!(
            app.status_with(key).await,
            401,
            "a key from before survived"
        );
    }
    let (mut dead, mut alive) = (before.len(), 0);
    for (_, returned_at, key) in &raced {
        let status = app.status_with(key).await;
        if *returned_at < revoke_started {
            assert_eq!(
                status, 401,
                "a key created before revoke-all started survived"
            );
        }
        assert!(status == 200 || status == 401);
        if status == 401 {
            dead += 1;
        } else {
            alive += 1;
        }
    }
    assert_eq!(
        dead as u64, revoked_count,
        "revoke-all reports what it revoked"
    );
    // A key created after revoke-all returned is kept.
    let after = create(app.base.clone(), token.clone()).await.2;
    assert_eq!(app.status_with(&after).await, 200);
    alive += 1;
    // Every key alive is listed, and nothing was lost.
    let listed: Value = app
        .api(
            Method::GET,
            "/service_accounts/racy/api_keys",
            Some(&token),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        listed["results"].as_array().unwrap().len(),
        alive,
        "no key lost"
    );
    assert_eq!(dead + alive, 46);
}

/// Server functions anyone may call, signed in or not.
const PUBLIC_SERVER_FUNCTIONS: [&str; 1] = ["sign_in_info"];
/// Server functions a collaborator may call. Everything else in the registry is owner-only.
const COLLABORATOR_SERVER_FUNCTIONS: [&str; 7] = [
    "me",
    "token_policy",
    "members",
    "my_tokens",
    "create_my_token",
    "revoke_all_my_credentials",
    "sign_out_everywhere",
];

/// Walks the server-function registry against an explicit allow-list (not the code's own
/// `/fn/owner/` labels): every function but the public ones refuses an anonymous caller (401),
/// and every function not allow-listed for collaborators refuses one (403). A function added
/// later is owner-only to this test until someone allow-lists it.
async fn every_owner_server_function_refuses_collaborators_and_anonymous_callers(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = owner(&app).await;
    create_account(&app, &token, "target").await;
    let ada = app.user_id("ada@example.com").await;
    let collab = app.without_cookies();
    collab.sign_in_as("grace@example.com", "/").await;
    let before = (
        app.count("service_accounts").await,
        app.count("api_tokens WHERE revoked_at IS NULL").await,
        app.count("users").await,
    );
    // A superset of every argument name, so argument decoding never fails before the guard.
    let args = [
        ("user_id", ada.as_str()),
        ("role", "owner"),
        ("name", "made-by-collaborator"),
        ("account", "target"),
        ("key_id", "tok_00000000000000000000000000000000"),
        ("email", ""),
        ("kind", "all"),
        ("created_by", "ada@example.com"),
        ("dry_run", "false"),
        ("confirm_organization", "Test Org"),
        ("grace_seconds", "0"),
        ("max_days", "30"),
    ];
    let mut owner_only = 0;
    let paths: Vec<(String, String)> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, method)| (path.to_string(), method.to_string()))
        .collect();
    assert!(
        paths.iter().any(|(p, _)| p == "/fn/me"),
        "the registry is visible: {paths:?}"
    );
    for (path, method) in &paths {
        assert_eq!(method, "POST", "{path}");
        let endpoint = path.trim_start_matches("/fn/");
        let anonymous = app.without_cookies().call_fn(endpoint, &args).await;
        if PUBLIC_SERVER_FUNCTIONS.contains(&endpoint) {
            assert_eq!(anonymous.status(), 200);
            continue;
        }
        assert_eq!(anonymous.status(), 401, "{path} anonymous");
        if !COLLABORATOR_SERVER_FUNCTIONS.contains(&endpoint) {
            owner_only += 1;
            let refused = collab.call_fn(endpoint, &args).await;
            assert_eq!(refused.status(), 403, "{path} as collaborator");
        }
    }
    for listed in PUBLIC_SERVER_FUNCTIONS
        .iter()
        .chain(COLLABORATOR_SERVER_FUNCTIONS.iter())
    {
        let path = format!("/fn/{listed}");
        assert!(
            paths.iter().any(|(p, _)| *p == path),
            "{path} is allow-listed but not registered"
        );
    }
    assert_eq!(
        owner_only,
        paths.len() - PUBLIC_SERVER_FUNCTIONS.len() - COLLABORATOR_SERVER_FUNCTIONS.len(),
        "every other function was swept"
    );
    assert!(
        owner_only >= 12,
        "owner-only server functions: {owner_only}"
    );
    // The collaborator is still signed in: nothing above was refused for the wrong reason.
    assert_eq!(collab.me(None).await.status(), 200);
    let after = (
        app.count("service_accounts").await,
        app.count("api_tokens WHERE revoked_at IS NULL").await,
        app.count("users").await,
    );
    assert_eq!(before, after, "no refused call changed anything");
}

async fn emergency_revoke_takes_exactly_the_matching_keys_in_one_audited_step(backend: Backend) {
    let app = spawn_app(backend).await;
    let owner = owner(&app).await;
    let (grace_browser, grace_token) = app.member_with_token("grace@example.com").await;
    create_account(&app, &owner, "old-bot").await;
    let old_keys = [
        create_key(&app, &owner, "old-bot").await,
        create_key(&app, &owner, "old-bot").await,
    ];
    let t = app.state.app.clock.unix() + 50;
    app.advance(100);
    let new_key = create_key(&app, &owner, "old-bot").await;
    let revoke = |body: Value| {
        let app = &app;
        let owner = owner.clone();
        async move {
            app.api(Method::POST, "/api_keys/revoke", Some(&owner), Some(body))
                .await
        }
    };
    let audited = || app.count_where("audit_events", "action = 'api_key.revoked_matching'");

    for bad in [
        json!({}),
        json!({"kind": "all"}),
        json!({"kind": "bogus"}),
        json!({"created_by": ""}),
        json!({"kind": "user", "typo": 1}),
    ] {
        assert_eq!(revoke(bad.clone()).await.status(), 400, "{bad}");
    }
    let counted: Value = revoke(json!({"kind": "service_account", "dry_run": true}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(counted["result"], json!({"count": 3, "dry_run": true}));
    let graces: Value =
        revoke(json!({"kind": "user", "created_by": "GRACE@example.com", "dry_run": true}))
            .await
            .json()
            .await
            .unwrap();
    assert_eq!(graces["result"]["count"], 1, "her one personal token");
    assert_eq!(
        audited().await,
        0,
        "dry runs change nothing and audit nothing"
    );
    assert_eq!(app.status_with(&old_keys[0]).await, 200);

    let done: Value = revoke(json!({"kind": "service_account", "created_before": t}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(done["result"], json!({"count": 2, "dry_run": false}));
    for key in &old_keys {
        assert_eq!(app.status_with(key).await, 401, "made before the cut-off");
    }
    assert_eq!(app.status_with(&new_key).await, 200, "made after it");
    assert_eq!(app.status_with(&grace_token).await, 200, "another kind");
    assert_eq!(app.status_with(&owner).await, 200);
    assert_eq!(audited().await, 1, "one row for the whole revocation");
    assert_eq!(
        app.count_where(
            "audit_events",
            "action = 'api_key.revoked_matching' AND detail LIKE '2 keys revoked matching %service_account%'"
        )
        .await,
        1
    );

    // The console's server function wants the organization's name before it revokes.
    let (console, _) = app.member_with_token("ada@example.com").await;
    let refused = console
        .call_fn(
            "owner/revoke_matching",
            &[
                ("kind", "user"),
                ("dry_run", "false"),
                ("confirm_organization", "Wrong Org"),
            ],
        )
        .await;
    assert_eq!(refused.status(), 400);
    assert_eq!(app.status_with(&grace_token).await, 200, "nothing revoked");
    let confirmed = console
        .call_fn(
            "owner/revoke_matching",
            &[
                ("kind", "user"),
                ("created_by", "grace@example.com"),
                ("dry_run", "false"),
                ("confirm_organization", "Test Org"),
            ],
        )
        .await;
    assert_eq!(confirmed.status(), 200);
    assert_eq!(confirmed.text().await.unwrap(), "1");
    assert_eq!(app.status_with(&grace_token).await, 401);
    assert_eq!(
        grace_browser.me(None).await.status(),
        200,
        "sessions are not keys"
    );
}

/// The keys view takes its filter from the address (`?email=`, what a service account's row
/// links to) and hands it to its island in a `data-email` attribute (not as island props, whose
/// JSON would need a parser in the WASM): a crafted link cannot end the attribute that carries
/// it, nor start a script.
async fn a_hostile_filter_in_the_address_stays_data_in_the_keys_island(backend: Backend) {
    let app = spawn_app(backend).await;
    let (owner, _) = app.member_with_token("ada@example.com").await;
    let hostile = r#"x"'><script>alert(1)</script>"#;
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("email", hostile)
        .finish();
    let response = owner.get(&format!("/iam/api-keys?{query}")).await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("<leptos-island"),
        "the keys view is an island"
    );
    assert!(
        !html.contains("<script>alert(1)"),
        "the filter went out unescaped"
    );
    assert!(!html.contains(r#"'><script"#));
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "the filter is in the page as text"
    );
    assert!(
        html.contains(r#"id="api-keys" data-email="x&quot;"#),
        "the island reads the filter from its own attribute"
    );
    assert!(!html.contains("data-props"), "islands take no props");
    assert!(
        html.contains(r#" value="x&quot;"#),
        "the filter field shows the filter before the island hydrates"
    );
}
