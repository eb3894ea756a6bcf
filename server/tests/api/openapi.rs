//! The OpenAPI document is generated from the handlers, so it lists every `/api/v1` route.
//! The refusal tests below walk that document: a route added later is covered automatically.
use crate::helpers::*;
use crate::on_both_backends;
use reqwest::Method;

on_both_backends!(
    the_openapi_document_describes_every_route,
    every_operation_refuses_anonymous_callers_and_owner_only_ones_refuse_collaborators,
);

/// What a collaborator (a person or a collaborator-role service account) may call. Every other
/// operation in the document must refuse them: the test does not read the code's own 403
/// annotations, so a new route is owner-only here until someone allow-lists it.
const COLLABORATOR_MAY_CALL: [&str; 4] = [
    "GET /api/v1/users/me",
    "POST /api/v1/users/me/rotate_key",
    "GET /api/v1/collaborators",
    "GET /api/v1/organization/token_policy",
];

/// The OpenAPI document is committed (docs/openapi.json) so that clients and reviewers see the
/// contract change in the diff. Regenerate with `GATEHOUSE_UPDATE_OPENAPI=1 cargo test
/// --workspace committed_openapi`.
#[test]
fn the_committed_openapi_document_matches_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/openapi.json");
    let generated = format!(
        "{}\n",
        serde_json::to_string_pretty(&gatehouse_server::api::openapi()).unwrap()
    );
    if std::env::var_os("GATEHOUSE_UPDATE_OPENAPI").is_some() {
        std::fs::write(path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/openapi.json is out of date with the code: regenerate it with \
         GATEHOUSE_UPDATE_OPENAPI=1 cargo test --workspace committed_openapi, and review the diff"
    );
}

fn operations() -> Vec<(Method, String, serde_json::Value)> {
    let doc = serde_json::to_value(gatehouse_server::api::openapi()).unwrap();
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            out.push((method, path.clone(), op.clone()));
        }
    }
    out
}

async fn the_openapi_document_describes_every_route(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = client()
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let doc: serde_json::Value = response.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    let listed: Vec<String> = operations()
        .iter()
        .map(|(m, p, _)| format!("{m} {p}"))
        .collect();
    for expected in [
        "GET /api/v1/users/me",
        "POST /api/v1/users/me/rotate_key",
        "POST /api/v1/users/{user_id}/rotate_key",
        "PATCH /api/v1/users/{user_id}",
        "DELETE /api/v1/users/{user_id}",
        "GET /api/v1/collaborators",
        "POST /api/v1/service_accounts",
        "GET /api/v1/service_accounts",
        "GET /api/v1/service_accounts/{id_or_name}",
        "DELETE /api/v1/service_accounts/{id_or_name}",
        "POST /api/v1/service_accounts/{id_or_name}/api_keys",
        "GET /api/v1/service_accounts/{id_or_name}/api_keys",
        "POST /api/v1/service_accounts/{id_or_name}/api_keys/revoke_all",
        "DELETE /api/v1/api_keys/{key_id}",
        "GET /api/v1/api_keys",
    ] {
        assert!(
            listed.iter().any(|l| l == expected),
            "{expected} missing from {listed:?}"
        );
    }
    for (_, _, op) in operations() {
        assert!(
            op["responses"].get("401").is_some(),
            "every operation documents 401: {op}"
        );
    }
}

async fn every_operation_refuses_anonymous_callers_and_owner_only_ones_refuse_collaborators(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let (_owner, owner_token) = app.member_with_token("ada@example.com").await;
    let (_collab, collab_token) = app.member_with_token("grace@example.com").await;
    let target = app.user_id("ada@example.com").await;
    // A collaborator-role service account's key, and a revoked owner-role key.
    let create = |name: &str, role: &str| serde_json::json!({"name": name, "role": role});
    app.api(
        Method::POST,
        "/service_accounts",
        Some(&owner_token),
        Some(create("robot", "collaborator")),
    )
    .await;
    app.api(
        Method::POST,
        "/service_accounts",
        Some(&owner_token),
        Some(create("retired", "owner")),
    )
    .await;
    let key_of = |v: serde_json::Value| v["result"]["token"].as_str().unwrap().to_string();
    let robot_key = key_of(
        app.api(
            Method::POST,
            "/service_accounts/robot/api_keys",
            Some(&owner_token),
            None,
        )
        .await
        .json()
        .await
        .unwrap(),
    );
    let revoked_key = key_of(
        app.api(
            Method::POST,
            "/service_accounts/retired/api_keys",
            Some(&owner_token),
            None,
        )
        .await
        .json()
        .await
        .unwrap(),
    );
    app.api(
        Method::POST,
        "/service_accounts/retired/api_keys/revoke_all",
        Some(&owner_token),
        None,
    )
    .await;
    let key_id: String = {
        let keys: serde_json::Value = app
            .api(
                Method::GET,
                "/service_accounts/robot/api_keys",
                Some(&owner_token),
                None,
            )
            .await
            .json()
            .await
            .unwrap();
        keys["results"][0]["id"].as_str().unwrap().to_string()
    };
    let state_before = (
        app.count("service_accounts").await,
        app.count("users").await,
        app.count("api_tokens WHERE revoked_at IS NULL").await,
        app.role_of("ada@example.com").await,
    );
    let ops = operations();
    let mut owner_only = 0;
    for (method, path, op) in &ops {
        let concrete = path
            .replace("{user_id}", &target)
            .replace("{id_or_name}", "robot")
            .replace("{key_id}", &key_id);
        let body = op
            .get("requestBody")
            .map(|_| serde_json::json!({"role": "collaborator"}));
        let anonymous = app
            .api(
                method.clone(),
                concrete.trim_start_matches("/api/v1"),
                None,
                body.clone(),
            )
            .await;
        assert_eq!(anonymous.status(), 401, "{method} {path} anonymous");
        let forged = app
            .api(
                method.clone(),
                concrete.trim_start_matches("/api/v1"),
                Some("gtu_not-a-real-token"),
                body.clone(),
            )
            .await;
        assert_eq!(forged.status(), 401, "{method} {path} forged token");
        let revoked = app
            .api(
                method.clone(),
                concrete.trim_start_matches("/api/v1"),
                Some(&revoked_key),
                body.clone(),
            )
            .await;
        assert_eq!(revoked.status(), 401, "{method} {path} revoked owner key");
        if !COLLABORATOR_MAY_CALL.contains(&format!("{method} {path}").as_str()) {
            owner_only += 1;
            assert!(
                op["responses"].get("403").is_some(),
                "{method} {path} refuses collaborators but does not document 403"
            );
            let as_collab = app
                .api(
                    method.clone(),
                    concrete.trim_start_matches("/api/v1"),
                    Some(&collab_token),
                    body.clone(),
                )
                .await;
            assert_eq!(as_collab.status(), 403, "{method} {path} as collaborator");
            let as_robot = app
                .api(
                    method.clone(),
                    concrete.trim_start_matches("/api/v1"),
                    Some(&robot_key),
                    body.clone(),
                )
                .await;
            assert_eq!(
                as_robot.status(),
                403,
                "{method} {path} as a collaborator-role service account"
            );
            // Authorization comes before reading the body: even an empty one is a 403.
            if body.is_some() {
                let empty = app
                    .api(
                        method.clone(),
                        concrete.trim_start_matches("/api/v1"),
                        Some(&collab_token),
                        Some(serde_json::json!({})),
                    )
                    .await;
                assert_eq!(empty.status(), 403, "{method} {path} with an empty body");
            }
        }
    }
    assert_eq!(owner_only, ops.len() - COLLABORATOR_MAY_CALL.len());
    assert!(
        owner_only >= 12,
        "owner-only operations found: {owner_only}"
    );
    // The allow-listed reads work for a collaborator (the rotation is left out: it would
    // end the token this test uses).
    for path in ["/users/me", "/collaborators"] {
        let read = app.api(Method::GET, path, Some(&collab_token), None).await;
        assert_eq!(read.status(), 200, "{path} as collaborator");
    }
    let state_after = (
        app.count("service_accounts").await,
        app.count("users").await,
        app.count("api_tokens WHERE revoked_at IS NULL").await,
        app.role_of("ada@example.com").await,
    );
    assert_eq!(
        state_before, state_after,
        "no refused call changed anything"
    );
}
