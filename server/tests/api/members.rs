//! Member management: owner-only actions refused for everyone else (API and server
//! functions), the last-owner rule, removal, paging and input errors.
use crate::helpers::*;
use crate::on_both_backends;
use reqwest::Method;
use serde_json::json;

on_both_backends!(
    owner_only_api_routes_refuse_collaborators_and_anonymous_callers,
    owner_only_server_functions_refuse_collaborators_and_anonymous_callers,
    an_owner_rotates_another_users_key_for_hand_over,
    the_last_owner_can_be_neither_demoted_nor_removed,
    removing_a_user_ends_their_sessions_and_tokens,
    removing_an_owner_revokes_the_service_account_keys_they_created_unless_kept,
    paging_returns_every_member_exactly_once,
    bad_input_gets_400_naming_the_field,
    the_users_page_searches_members_by_email_prefix,
    a_removed_member_cannot_sign_in_again_until_an_owner_allows_them_back,
);

async fn a_removed_member_cannot_sign_in_again_until_an_owner_allows_them_back(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_owner, owner_token) = app.member_with_token("ada@example.com").await;
    let _ = app.member_with_token("grace@example.com").await;
    let grace = app.user_id("grace@example.com").await;
    let removed = app
        .api(
            Method::DELETE,
            &format!("/users/{grace}"),
            Some(&owner_token),
            None,
        )
        .await;
    assert_eq!(removed.status(), 204);

    // Her IdP still vouches for her: the sign-in is refused, she is told why, and she is not
    // quietly made a member again.
    let again = app.without_cookies();
    let refused = again.sign_in_as("grace@example.com", "/").await;
    assert_eq!(refused.status(), 403);
    let page = refused.text().await.unwrap();
    assert!(
        page.contains("An owner (ada@example.com) removed grace@example.com from Test Org on "),
        "{page}"
    );
    assert!(page.contains("Ask an owner to allow you back"), "{page}");
    assert_eq!(
        app.count("users WHERE email = 'grace@example.com'").await,
        0
    );
    assert_eq!(again.me(None).await.status(), 401, "no session");

    // Owners see who was removed, by whom.
    let listed: serde_json::Value = app
        .api(Method::GET, "/removed_members", Some(&owner_token), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["results"][0]["email"], "grace@example.com");
    assert_eq!(listed["results"][0]["removed_by"], "ada@example.com");

    // Allowed back: the next sign-in makes her a member again (a new one: old tokens stay dead).
    let allowed = app
        .api(
            Method::DELETE,
            "/removed_members/grace@example.com",
            Some(&owner_token),
            None,
        )
        .await;
    assert_eq!(allowed.status(), 204);
    let twice = app
        .api(
            Method::DELETE,
            "/removed_members/grace@example.com",
            Some(&owner_token),
            None,
        )
        .await;
    assert_eq!(twice.status(), 404);
    assert_eq!(
        app.count("audit_events WHERE action = 'user.allowed_back'")
            .await,
        1
    );
    let back = app.without_cookies();
    assert_eq!(
        back.sign_in_as("grace@example.com", "/").await.status(),
        303
    );
    assert_ne!(
        app.user_id("grace@example.com").await,
        grace,
        "a new member"
    );
    assert_eq!(app.role_of("grace@example.com").await, "collaborator");
}

async fn owner_only_api_routes_refuse_collaborators_and_anonymous_callers(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_owner, _) = app.member_with_token("ada@example.com").await;
    let (_collab, collab_token) = app.member_with_token("grace@example.com").await;
    let ada = app.user_id("ada@example.com").await;
    let routes: Vec<(Method, String, Option<serde_json::Value>)> = vec![
        (Method::POST, format!("/users/{ada}/rotate_key"), None),
        (
            Method::PATCH,
            format!("/users/{ada}"),
            Some(json!({"role": "collaborator"})),
        ),
        (Method::DELETE, format!("/users/{ada}"), None),
        (Method::GET, "/removed_members".to_string(), None),
        (
            Method::DELETE,
            "/removed_members/grace@example.com".to_string(),
            None,
        ),
    ];
    let tokens_before = app.count("api_tokens WHERE revoked_at IS NULL").await;
    for (method, path, body) in &routes {
        let as_collab = app
            .api(method.clone(), path, Some(&collab_token), body.clone())
            .await;
        assert_eq!(as_collab.status(), 403, "{method} {path} as collaborator");
        let body_json: serde_json::Value = as_collab.json().await.unwrap();
        assert_eq!(body_json["error"]["code"], "forbidden");
        let anonymous = app.api(method.clone(), path, None, body.clone()).await;
        assert_eq!(anonymous.status(), 401, "{method} {path} anonymous");
    }
    assert_eq!(app.role_of("ada@example.com").await, "owner");
    assert_eq!(app.count("users").await, 2);
    assert_eq!(
        app.count("api_tokens WHERE revoked_at IS NULL").await,
        tokens_before
    );
}

async fn owner_only_server_functions_refuse_collaborators_and_anonymous_callers(backend: Backend) {
    let app = spawn_app(backend).await;
    app.without_cookies()
        .sign_in_as("ada@example.com", "/")
        .await;
    let ada = app.user_id("ada@example.com").await;
    let collab = app.without_cookies();
    collab.sign_in_as("grace@example.com", "/").await;
    let calls: [(&str, Vec<(&str, &str)>); 5] = [
        (
            "owner/change_role",
            vec![("user_id", ada.as_str()), ("role", "collaborator")],
        ),
        ("owner/rotate_user_key", vec![("user_id", ada.as_str())]),
        ("owner/remove_user", vec![("user_id", ada.as_str())]),
        ("owner/removed_members", vec![]),
        (
            "owner/allow_member_back",
            vec![("email", "grace@example.com")],
        ),
    ];
    for (endpoint, args) in &calls {
        let refused = collab.call_fn(endpoint, args).await;
        assert_eq!(refused.status(), 403, "{endpoint} as collaborator");
        assert!(
            refused.text().await.unwrap().contains("owners_only"),
            "{endpoint}"
        );
        let anonymous = app.without_cookies().call_fn(endpoint, args).await;
        assert_eq!(anonymous.status(), 401, "{endpoint} anonymous");
    }
    assert_eq!(app.role_of("ada@example.com").await, "owner");
    assert_eq!(app.count("api_tokens").await, 0, "no key was rotated");
    assert_eq!(app.count("users").await, 2);
}

async fn an_owner_rotates_another_users_key_for_hand_over(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_owner, owner_token) = app.member_with_token("ada@example.com").await;
    let (_collab, old) = app.member_with_token("grace@example.com").await;
    let grace = app.user_id("grace@example.com").await;
    let rotated = app
        .api(
            Method::POST,
            &format!("/users/{grace}/rotate_key"),
            Some(&owner_token),
            None,
        )
        .await;
    assert_eq!(rotated.status(), 200);
    let body: serde_json::Value = rotated.json().await.unwrap();
    let new = body["result"]["token"].as_str().unwrap();
    assert_eq!(
        app.api(Method::GET, "/users/me", Some(&old), None)
            .await
            .status(),
        401
    );
    let me: serde_json::Value = app
        .api(Method::GET, "/users/me", Some(new), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        me["result"]["email"], "grace@example.com",
        "the new key is grace's"
    );
    assert_eq!(
        app.count(
            "audit_events WHERE action = 'token.rotated' AND actor_email = 'ada@example.com'"
        )
        .await,
        1
    );
}

async fn the_last_owner_can_be_neither_demoted_nor_removed(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_owner, token) = app.member_with_token("ada@example.com").await;
    app.member_with_token("grace@example.com").await;
    let ada = app.user_id("ada@example.com").await;
    let grace = app.user_id("grace@example.com").await;
    let demote = app
        .api(
            Method::PATCH,
            &format!("/users/{ada}"),
            Some(&token),
            Some(json!({"role": "collaborator"})),
        )
        .await;
    assert_eq!(demote.status(), 409);
    let body: serde_json::Value = demote.json().await.unwrap();
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("last owner"));
    assert_eq!(
        app.api(Method::DELETE, &format!("/users/{ada}"), Some(&token), None)
            .await
            .status(),
        409
    );
    assert_eq!(app.role_of("ada@example.com").await, "owner");

    let promote = app
        .api(
            Method::PATCH,
            &format!("/users/{grace}"),
            Some(&token),
            Some(json!({"role": "owner"})),
        )
        .await;
    assert_eq!(promote.status(), 200);
    let demote = app
        .api(
            Method::PATCH,
            &format!("/users/{ada}"),
            Some(&token),
            Some(json!({"role": "collaborator"})),
        )
        .await;
    assert_eq!(demote.status(), 200, "not the last owner any more");
    assert_eq!(app.role_of("ada@example.com").await, "collaborator");
    let again = app
        .api(
            Method::PATCH,
            &format!("/users/{grace}"),
            Some(&token),
            Some(json!({"role": "collaborator"})),
        )
        .await;
    assert_eq!(
        again.status(),
        403,
        "ada's token now acts as a collaborator"
    );
}

async fn removing_a_user_ends_their_sessions_and_tokens(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_owner, owner_token) = app.member_with_token("ada@example.com").await;
    let (grace_browser, grace_token) = app.member_with_token("grace@example.com").await;
    assert_eq!(grace_browser.me(None).await.status(), 200);
    let grace = app.user_id("grace@example.com").await;
    assert_eq!(
        app.count(&format!("sessions WHERE user_id = '{grace}'"))
            .await,
        1,
        "she is signed in in one browser"
    );
    let removed = app
        .api(
            Method::DELETE,
            &format!("/users/{grace}"),
            Some(&owner_token),
            None,
        )
        .await;
    assert_eq!(removed.status(), 204);
    // Counted before any request of hers: a request's own 401 path would delete the row too.
    assert_eq!(
        app.count(&format!("sessions WHERE user_id = '{grace}'"))
            .await,
        0,
        "the removal itself ended her sessions"
    );
    assert_eq!(grace_browser.me(None).await.status(), 401, "session ended");
    assert_eq!(
        app.api(Method::GET, "/users/me", Some(&grace_token), None)
            .await
            .status(),
        401,
        "token dead"
    );
    assert_eq!(
        app.count(&format!("sessions WHERE user_id = '{grace}'"))
            .await,
        0
    );
    assert_eq!(
        app.api(
            Method::DELETE,
            &format!("/users/{grace}"),
            Some(&owner_token),
            None
        )
        .await
        .status(),
        404
    );
}

async fn paging_returns_every_member_exactly_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_owner, token) = app.member_with_token("ada@example.com").await;
    let now = app.state.app.clock.unix();
    let mut tx = app.state.app.db.pool().begin().await.unwrap();
    for i in 0..11 {
        let profile = app::server::users::SignInProfile {
            email: format!("member{i:02}@example.com"),
            display_name: format!("Member {i}"),
            initial_role: app::model::Role::Collaborator,
        };
        app::server::users::upsert_on_sign_in(&mut tx, &app.state.app.org.id, &profile, now)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();

    let mut seen = Vec::new();
    let mut paging_token: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut path = "/collaborators?count=5".to_string();
        if let Some(t) = &paging_token {
            path.push_str(&format!("&paging_token={t}"));
        }
        let page: serde_json::Value = app
            .api(Method::GET, &path, Some(&token), None)
            .await
            .json()
            .await
            .unwrap();
        pages += 1;
        for m in page["results"].as_array().unwrap() {
            seen.push(m["email"].as_str().unwrap().to_string());
            assert_eq!(m["is_service_account"], false);
        }
        match page["metadata"]["next_paging_token"].as_str() {
            Some(t) => paging_token = Some(t.to_string()),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(seen, sorted, "in order, no duplicates");
    assert_eq!(seen.len(), 12);

    let filtered: serde_json::Value = app
        .api(
            Method::GET,
            "/collaborators?email=MEMBER0",
            Some(&token),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(filtered["results"].as_array().unwrap().len(), 10);
    let by_name: serde_json::Value = app
        .api(
            Method::GET,
            "/collaborators?name=ber%2010",
            Some(&token),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(by_name["results"][0]["email"], "member10@example.com");
}

async fn bad_input_gets_400_naming_the_field(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_owner, token) = app.member_with_token("ada@example.com").await;
    let ada = app.user_id("ada@example.com").await;
    let cases: Vec<(Method, String, Option<serde_json::Value>, &str)> = vec![
        (
            Method::PATCH,
            format!("/users/{ada}"),
            Some(json!({"role": "admin"})),
            "unknown variant",
        ),
        (
            Method::PATCH,
            format!("/users/{ada}"),
            Some(json!({"role": "owner", "colour": 1})),
            "colour",
        ),
        (
            Method::PATCH,
            format!("/users/{ada}"),
            Some(json!({})),
            "role",
        ),
        (
            Method::PATCH,
            "/users/not-an-id".to_string(),
            Some(json!({"role": "owner"})),
            "user_id",
        ),
        (
            Method::POST,
            "/users/usr_x/rotate_key".to_string(),
            None,
            "user_id",
        ),
        (
            Method::GET,
            "/collaborators?count=0".to_string(),
            None,
            "count",
        ),
        (
            Method::GET,
            "/collaborators?count=lots".to_string(),
            None,
            "count",
        ),
        (
            Method::GET,
            "/collaborators?paging_token=zz".to_string(),
            None,
            "paging_token",
        ),
        (
            Method::GET,
            "/collaborators?colour=red".to_string(),
            None,
            "colour",
        ),
    ];
    for (method, path, body, field) in cases {
        let response = app.api(method.clone(), &path, Some(&token), body).await;
        assert_eq!(response.status(), 400, "{method} {path}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "invalid_request");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.contains(field),
            "{method} {path}: {message:?} should name {field}"
        );
    }
    let bad_json = client()
        .patch(app.url(&format!("/api/v1/users/{ada}")))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(bad_json.status(), 400);
    assert_eq!(
        app.role_of("ada@example.com").await,
        "owner",
        "nothing changed"
    );
    let unknown = app
        .api(Method::GET, "/nothing/here", Some(&token), None)
        .await;
    assert_eq!(unknown.status(), 404);
}

/// The Users tab's search box: the `members` server function filters by email prefix,
/// case-insensitively; an empty search lists everyone; anonymous callers are refused.
async fn the_users_page_searches_members_by_email_prefix(backend: Backend) {
    let app = spawn_app(backend).await;
    let (grace, _) = app.member_with_token("grace@example.com").await;
    app.member_with_token("alan@example.com").await;
    app.member_with_token("ada@example.com").await;
    let emails = |body: serde_json::Value| -> Vec<String> {
        body["results"]
            .as_array()
            .expect("results")
            .iter()
            .map(|m| m["email"].as_str().expect("email").to_string())
            .collect()
    };
    for (search, expected) in [
        ("GR", vec!["grace@example.com"]),
        ("a", vec!["ada@example.com", "alan@example.com"]),
        (
            "",
            vec!["ada@example.com", "alan@example.com", "grace@example.com"],
        ),
        ("nobody", vec![]),
    ] {
        let response = grace
            .call_fn(
                "members",
                &[("is_service_account", "false"), ("email", search)],
            )
            .await;
        assert_eq!(response.status(), 200, "{search:?}");
        assert_eq!(
            emails(response.json().await.unwrap()),
            expected,
            "{search:?}"
        );
    }
    let anonymous = app
        .without_cookies()
        .call_fn("members", &[("email", "a")])
        .await;
    assert_eq!(anonymous.status(), 401);
}

/// A service account named `name` (owner role) and one key for it, made with `token`.
async fn account_with_key(app: &TestApp, token: &str, name: &str) -> String {
    let created = app
        .api(
            Method::POST,
            "/service_accounts",
            Some(token),
            Some(json!({"name": name, "role": "owner"})),
        )
        .await;
    assert_eq!(created.status(), 201);
    let key = app
        .api(
            Method::POST,
            &format!("/service_accounts/{name}/api_keys"),
            Some(token),
            None,
        )
        .await;
    assert_eq!(key.status(), 201);
    key.json::<serde_json::Value>().await.unwrap()["result"]["token"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn removing_an_owner_revokes_the_service_account_keys_they_created_unless_kept(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let (_ada, ada_token) = app.member_with_token("ada@example.com").await;
    for email in ["grace@example.com", "alan@example.com"] {
        app.member_with_token(email).await;
        let id = app.user_id(email).await;
        let promoted = app
            .api(
                Method::PATCH,
                &format!("/users/{id}"),
                Some(&ada_token),
                Some(json!({"role": "owner"})),
            )
            .await;
        assert_eq!(promoted.status(), 200);
    }
    let (_g, grace_token) = app.member_with_token("grace@example.com").await;
    let (_a, alan_token) = app.member_with_token("alan@example.com").await;
    let graces_key = account_with_key(&app, &grace_token, "graces-bot").await;
    let alans_key = account_with_key(&app, &alan_token, "alans-bot").await;
    let adas_key = account_with_key(&app, &ada_token, "adas-bot").await;

    let grace = app.user_id("grace@example.com").await;
    let bad = app
        .api(
            Method::DELETE,
            &format!("/users/{grace}?revoke_created_keys=maybe"),
            Some(&ada_token),
            None,
        )
        .await;
    assert_eq!(bad.status(), 400);
    let removed = app
        .api(
            Method::DELETE,
            &format!("/users/{grace}"),
            Some(&ada_token),
            None,
        )
        .await;
    assert_eq!(removed.status(), 204);
    assert_eq!(
        app.status_with(&graces_key).await,
        401,
        "the key she made died with her membership"
    );
    assert_eq!(
        app.status_with(&adas_key).await,
        200,
        "others' keys are untouched"
    );

    let alan = app.user_id("alan@example.com").await;
    let removed = app
        .api(
            Method::DELETE,
            &format!("/users/{alan}?revoke_created_keys=false"),
            Some(&ada_token),
            None,
        )
        .await;
    assert_eq!(removed.status(), 204);
    assert_eq!(app.status_with(&alans_key).await, 200, "kept, as asked");
    assert_eq!(
        app.count_where(
            "audit_events",
            "action = 'user.removed' AND detail LIKE '%1 service-account keys they created revoked'"
        )
        .await,
        1
    );
    assert_eq!(
        app.count_where(
            "audit_events",
            "action = 'user.removed' AND detail LIKE '%service-account keys they created kept'"
        )
        .await,
        1
    );
}
