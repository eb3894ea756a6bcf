//! The audit log: a row for every audited action, with who and to whom; the email filter; and
//! paging through more rows than one page holds.
use crate::helpers::*;
use crate::on_both_backends;
use reqwest::Method;
use serde_json::{json, Value};

on_both_backends!(
    every_audited_action_leaves_a_row_naming_actor_and_target,
    the_audit_log_filters_by_email_and_pages_without_gaps_or_repeats,
    the_audit_page_is_plain_html_read_from_its_address,
);

async fn audit_page(owner: &TestApp, email: &str, paging_token: &str) -> Value {
    let response = owner
        .call_fn(
            "owner/audit",
            &[("email", email), ("paging_token", paging_token)],
        )
        .await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn every_audited_action_leaves_a_row_naming_actor_and_target(backend: Backend) {
    let app = spawn_app(backend).await;
    let (owner, token) = app.member_with_token("ada@example.com").await;
    app.member_with_token("grace@example.com").await;
    app.member_with_token("alan@example.com").await;
    let grace = app.user_id("grace@example.com").await;
    let alan = app.user_id("alan@example.com").await;
    let api = |method: Method, path: String, body: Option<Value>| {
        let app = &app;
        let token = token.clone();
        async move {
            app.api(method, &path, Some(&token), body)
                .await
                .status()
                .as_u16()
        }
    };
    assert_eq!(
        api(
            Method::POST,
            "/service_accounts".into(),
            Some(json!({"name": "etl"}))
        )
        .await,
        201
    );
    let key: Value = app
        .api(
            Method::POST,
            "/service_accounts/etl/api_keys",
            Some(&token),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    let key_id = key["result"]["info"]["id"].as_str().unwrap().to_string();
    assert_eq!(
        api(Method::DELETE, format!("/api_keys/{key_id}"), None).await,
        204
    );
    assert_eq!(
        api(Method::POST, "/service_accounts/etl/api_keys".into(), None).await,
        201
    );
    assert_eq!(
        api(
            Method::POST,
            "/service_accounts/etl/api_keys/revoke_all".into(),
            None
        )
        .await,
        200
    );
    assert_eq!(
        api(Method::DELETE, "/service_accounts/etl".into(), None).await,
        204
    );
    assert_eq!(
        api(
            Method::PATCH,
            format!("/users/{grace}"),
            Some(json!({"role": "owner"}))
        )
        .await,
        200
    );
    assert_eq!(
        api(Method::DELETE, format!("/users/{alan}"), None).await,
        204
    );
    assert_eq!(
        app.without_cookies()
            .post_saml_response("bm90IHhtbA==")
            .await
            .status(),
        400
    );

    let page = audit_page(&owner, "", "").await;
    let rows = page["results"].as_array().unwrap();
    let find = |action: &str| {
        rows.iter()
            .find(|r| r["action"] == action)
            .unwrap_or_else(|| panic!("no {action} row in {rows:#?}"))
            .clone()
    };
    for action in [
        "service_account.created",
        "api_key.created",
        "api_key.revoked",
        "api_key.revoked_all",
        "service_account.deleted",
    ] {
        let row = find(action);
        assert_eq!(row["actor"], "ada@example.com", "{action}");
        assert!(
            row["target"]
                .as_str()
                .unwrap_or_default()
                .starts_with("etl@org-")
                || row["target"]
                    .as_str()
                    .unwrap_or_default()
                    .starts_with("sa_")
                || row["target"]
                    .as_str()
                    .unwrap_or_default()
                    .starts_with("tok_"),
            "{action}: {row}"
        );
    }
    let role = find("user.role_changed");
    assert_eq!(role["target"], "grace@example.com");
    assert!(
        role["detail"]
            .as_str()
            .unwrap()
            .contains("collaborator -> owner"),
        "{role}"
    );
    let removed = find("user.removed");
    assert_eq!(removed["target"], "alan@example.com");
    assert_eq!(removed["actor"], "ada@example.com");
    let refused = find("signin.refused");
    assert_eq!(refused["actor"], "anonymous");
    assert_eq!(refused["source_ip"], "127.0.0.1");
    assert!(
        find("signin.succeeded")["request_id"]
            .as_str()
            .unwrap()
            .len()
            == 36
    );
}

async fn the_audit_log_filters_by_email_and_pages_without_gaps_or_repeats(backend: Backend) {
    let app = spawn_app(backend).await;
    let (owner, token) = app.member_with_token("ada@example.com").await;
    app.member_with_token("grace@example.com").await;
    assert_eq!(
        app.api(
            Method::POST,
            "/service_accounts",
            Some(&token),
            Some(json!({"name": "bulk"}))
        )
        .await
        .status(),
        201
    );
    for _ in 0..60 {
        let created = app
            .api(
                Method::POST,
                "/service_accounts/bulk/api_keys",
                Some(&token),
                None,
            )
            .await;
        assert_eq!(created.status(), 201);
    }
    let total = app.count("audit_events").await as usize;
    assert!(total > 60);
    let mut seen = Vec::new();
    let mut paging = String::new();
    let mut pages = 0;
    loop {
        let page = audit_page(&owner, "", &paging).await;
        pages += 1;
        for row in page["results"].as_array().unwrap() {
            seen.push(format!(
                "{}|{}|{}",
                row["at"], row["action"], row["request_id"]
            ));
        }
        match page["next_paging_token"].as_str() {
            Some(next) => paging = next.to_string(),
            None => break,
        }
        assert!(pages < 10, "paging does not end");
    }
    assert_eq!(pages, 2);
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!((seen.len(), unique.len()), (total, total), "every row once");
    // The filter: grace's rows only (her sign-in and her token), case-insensitive prefix.
    let filtered = audit_page(&owner, "GRACE@", "").await;
    let rows = filtered["results"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{rows:#?}");
    assert!(rows
        .iter()
        .all(|r| r["actor"] == "grace@example.com" || r["target"] == "grace@example.com"));
    let none = audit_page(&owner, "nobody@", "").await;
    assert!(none["results"].as_array().unwrap().is_empty());
    assert!(none["next_paging_token"].is_null());
}

/// The audit page is sent without the WASM bundle and reads its filter and page from the
/// address: what is typed there comes back as text in the form, a forged paging token gets the
/// API's refusal in words (and its status), and a collaborator sees neither rows nor the form.
async fn the_audit_page_is_plain_html_read_from_its_address(backend: Backend) {
    let app = spawn_app(backend).await;
    let (owner, _) = app.member_with_token("ada@example.com").await;
    let (collaborator, _) = app.member_with_token("grace@example.com").await;
    let page = |who: &TestApp, query: &str, status: u16| {
        let url = who.url(&format!("/iam/audit{query}"));
        let client = who.client.clone();
        async move {
            let response = client.get(url).send().await.unwrap();
            assert_eq!(response.status(), status);
            response.text().await.unwrap()
        }
    };

    let html = page(&owner, "", 200).await;
    assert!(html.contains(r#"data-testid="audit-table""#));
    assert!(
        html.contains("token.created"),
        "the owner's own token is a row"
    );
    assert!(!html.contains(r#"type="module""#), "no hydration script");
    assert!(!html.contains(r#"rel="preload""#), "no chunk preloads");

    let hostile = r#""><script>alert(1)</script>"#;
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("email", hostile)
        .finish();
    let html = page(&owner, &format!("?{query}"), 200).await;
    assert!(
        !html.contains("<script>alert(1)"),
        "the filter went out unescaped"
    );
    assert!(
        html.contains("Nothing recorded yet."),
        "nobody matches that prefix"
    );

    let html = page(&owner, "?pages=0a1b,zz", 400).await;
    assert!(html.contains("not a paging token"), "{html}");

    let html = page(&collaborator, "", 200).await;
    assert!(html.contains("Only owners can open this page"));
    assert!(!html.contains("audit-table"));
    assert!(!html.contains(r#"id="audit-filter""#));
}
