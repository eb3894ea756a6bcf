//! Sessions: the page guard, the server-function guard, sign-out, fixation, removed users.
use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    a_server_function_without_a_session_is_unauthorized,
    console_pages_send_anonymous_visitors_to_sign_in_and_back,
    the_sign_in_page_is_public,
    signing_out_ends_the_session_on_the_server,
    signing_in_issues_a_new_session_id,
    a_removed_user_loses_their_session_at_once,
    cross_site_posts_with_the_session_cookie_are_refused,
);

/// Every cookie-authenticated POST (each registered server function, and sign-out) is refused
/// with a foreign `Origin`, with `Origin: null`, with `Sec-Fetch-Site: cross-site`, and with
/// neither header; it is accepted from the console's own origin.
async fn cross_site_posts_with_the_session_cookie_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    app.sign_in_as("ada@example.com", "/").await;
    let mut paths: Vec<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.to_string())
        .collect();
    paths.push("/logout".to_string());
    assert!(paths.len() > 15, "{paths:?}");
    let hostile: [(&str, Option<&str>, Option<&str>); 4] = [
        ("foreign origin", Some("https://evil.example"), None),
        ("Origin: null", Some("null"), None),
        ("cross-site fetch", None, Some("cross-site")),
        ("neither header", None, None),
    ];
    for path in &paths {
        for (name, origin, fetch_site) in hostile {
            let mut request = app.client.post(app.url(path)).form(&[
                ("name", "csrf-victim"),
                ("user_id", "x"),
                ("account", "x"),
            ]);
            if let Some(o) = origin {
                request = request.header("origin", o);
            }
            if let Some(s) = fetch_site {
                request = request.header("sec-fetch-site", s);
            }
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 403, "{path}: {name}");
        }
    }
    assert_eq!(
        app.count("service_accounts").await,
        0,
        "nothing was created"
    );
    assert_eq!(
        app.count("sessions").await,
        1,
        "still signed in: no forced sign-out"
    );

    let create = |origin: Option<&str>, fetch_site: Option<&str>| {
        let mut request = app
            .client
            .post(app.url("/fn/owner/create_service_account"))
            .form(&[("name", format!("ok-{}", uuid::Uuid::new_v4().simple()))]);
        if let Some(o) = origin {
            request = request.header("origin", o.to_string());
        }
        if let Some(s) = fetch_site {
            request = request.header("sec-fetch-site", s.to_string());
        }
        request.send()
    };
    assert_eq!(create(Some(&app.base), None).await.unwrap().status(), 200);
    assert_eq!(
        create(None, Some("same-origin")).await.unwrap().status(),
        200,
        "a browser that sends no Origin but says same-origin"
    );
    assert_eq!(app.count("service_accounts").await, 2);
}

async fn a_server_function_without_a_session_is_unauthorized(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app.me(None).await;
    assert_eq!(response.status(), 401);
    let body = response.text().await.unwrap();
    assert!(body.contains("unauthorized"), "{body}");
    // A forged session id is no better than none.
    let forged = app
        .me(Some("gatehouse_session=AAAAAAAAAAAAAAAAAAAAAA"))
        .await;
    assert_eq!(forged.status(), 401);
}

async fn console_pages_send_anonymous_visitors_to_sign_in_and_back(backend: Backend) {
    let app = spawn_app(backend).await;
    for (path, expected) in [
        ("/", "/signin?next=/"),
        ("/credentials", "/signin?next=/credentials"),
        ("/iam?tab=users", "/signin?next=/iam%3Ftab%3Dusers"),
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 303, "{path}");
        assert_eq!(location(&response), expected);
    }
}

async fn the_sign_in_page_is_public(backend: Backend) {
    let app = spawn_app(backend).await;
    let page = app.get("/signin?next=/credentials").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Sign in with SSO"), "{html}");
    assert!(html.contains("/saml/login?next=/credentials"), "{html}");
}

async fn signing_out_ends_the_session_on_the_server(backend: Backend) {
    let app = spawn_app(backend).await;
    let acs = app.sign_in_as("grace@example.com", "/").await;
    let cookie = session_cookie(&acs).unwrap();
    assert_eq!(app.me(Some(&cookie)).await.status(), 200);
    assert_eq!(app.count("sessions").await, 1);

    let out = app.sign_out().await;
    assert_eq!(out.status(), 303);
    assert!(
        location(&out).starts_with(&app.url("/dev-idp/slo?SAMLRequest=")),
        "on to the IdP's Single Logout"
    );
    assert_eq!(app.count("sessions").await, 0, "the session row is gone");
    assert_eq!(
        app.me(Some(&cookie)).await.status(),
        401,
        "the old cookie is dead"
    );
}

async fn signing_in_issues_a_new_session_id(backend: Backend) {
    let app = spawn_app(backend).await;
    let first = session_cookie(&app.sign_in_as("grace@example.com", "/").await).unwrap();
    let second = session_cookie(&app.sign_in_as("ada@example.com", "/").await).unwrap();
    let value = |c: &str| c.split(';').next().unwrap().to_string();
    assert_ne!(value(&first), value(&second));
    assert_eq!(
        app.me(Some(&first)).await.status(),
        401,
        "the pre-sign-in id no longer works"
    );
    let me: serde_json::Value = app.me(Some(&second)).await.json().await.unwrap();
    assert_eq!(me["email"], "ada@example.com");
}

async fn a_removed_user_loses_their_session_at_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let cookie = session_cookie(&app.sign_in_as("grace@example.com", "/").await).unwrap();
    let (_, owner_token) = app.member_with_token("ada@example.com").await;
    let grace = app.user_id("grace@example.com").await;
    // Removed the way an owner removes a member: through the service, not by hand.
    let removed = app
        .api(
            reqwest::Method::DELETE,
            &format!("/users/{grace}"),
            Some(&owner_token),
            None,
        )
        .await;
    assert_eq!(removed.status(), 204);
    assert_eq!(app.me(Some(&cookie)).await.status(), 401);
    let page = app.get("/credentials").await;
    assert_eq!(page.status(), 303);
}
