//! SSO through the development IdP, and every refusal at the ACS.
use crate::helpers::*;
use crate::on_both_backends;
use gatehouse_server::dev_idp::confirmation_data;
use samael::schema::Response as SamlResponse;

on_both_backends!(
    sp_metadata_is_served_as_saml_metadata,
    login_redirects_to_the_idp_and_records_the_request,
    an_owner_signs_in_and_lands_on_next,
    a_collaborator_signs_in_with_the_collaborator_role,
    a_foreign_next_is_replaced_by_home,
    refused_responses_create_no_user_and_no_session,
    a_response_cannot_be_used_twice,
    a_replayed_assertion_id_is_refused_even_for_a_new_request,
    a_response_to_an_unknown_request_is_refused,
    an_acs_post_without_a_response_is_refused,
    owner_emails_make_an_owner_on_first_sign_in_only,
    idp_initiated_sign_in_when_enabled_is_guarded_only_by_the_replay_cache,
    every_replica_signs_authn_requests_with_the_one_stored_sp_key,
    with_role_sync_every_sign_in_follows_the_idp_groups_but_keeps_the_last_owner,
    a_hostile_display_name_stays_text_in_the_page,
);

/// Gives the assertion's attribute `name` exactly `values`, written into the XML as they are
/// (samael does not escape attribute values).
fn set_attribute(r: &mut SamlResponse, name: &str, values: &[String]) {
    let statements = r
        .assertion
        .as_mut()
        .unwrap()
        .attribute_statements
        .iter_mut();
    for statement in statements.flatten() {
        for attribute in statement.attributes.iter_mut() {
            if attribute.name.as_deref() == Some(name) {
                attribute.values = values
                    .iter()
                    .map(|v| samael::attribute::AttributeValue {
                        attribute_type: Some("xs:string".to_string()),
                        value: Some(v.clone()),
                    })
                    .collect();
            }
        }
    }
}

/// Signs `email` in, in a fresh browser, with the IdP saying they are in exactly `groups`.
async fn sign_in_with_groups(app: &TestApp, email: &str, groups: &[&str]) -> TestApp {
    let browser = app.without_cookies();
    let (request, _) = browser.start_login("/").await;
    let groups: Vec<String> = groups.iter().map(|g| g.to_string()).collect();
    let xml = browser.crafted_response(email, &request, |r| set_attribute(r, "groups", &groups));
    let acs = browser.post_saml_response(&b64(xml)).await;
    assert_eq!(acs.status(), 303, "{email} signs in");
    browser
}

/// The IdP's display name lands in the console frame (the header and the user menu) as text: it
/// cannot end the element it is in, nor start a script.
async fn a_hostile_display_name_stays_text_in_the_page(backend: Backend) {
    let app = spawn_app(backend).await;
    let hostile = "</script><script>alert(1)</script><b>";
    let (request, _) = app.start_login("/").await;
    // samael writes attribute values as given: escape them for the XML.
    let escaped = hostile.replace('<', "&lt;").replace('>', "&gt;");
    let xml = app.crafted_response("grace@example.com", &request, |r| {
        set_attribute(r, "displayName", &[escaped])
    });
    assert_eq!(app.post_saml_response(&b64(xml)).await.status(), 303);
    let page = app.get("/").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(!html.contains(hostile), "the name went out unescaped");
    assert!(!html.contains("<script>alert(1)"));
    assert!(
        html.contains("&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;b&gt;"),
        "the header shows the name as text"
    );
}

async fn with_role_sync_every_sign_in_follows_the_idp_groups_but_keeps_the_last_owner(
    backend: Backend,
) {
    let app = spawn_app_with(backend, &[("GATEHOUSE_ROLE_SYNC", "every_sign_in")]).await;
    let audited = |action: &'static str| {
        let pool = app.state.app.db.pool().clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM audit_events WHERE action = $1")
                .bind(action)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    sign_in_with_groups(&app, "ada@example.com", &["gatehouse-owners"]).await;
    sign_in_with_groups(&app, "grace@example.com", &["gatehouse-owners"]).await;
    assert_eq!(app.role_of("grace@example.com").await, "owner");
    // The IdP drops Grace from the owners group: her next sign-in makes her a collaborator.
    let grace = sign_in_with_groups(&app, "grace@example.com", &["ml-research"]).await;
    assert_eq!(app.role_of("grace@example.com").await, "collaborator");
    let me: serde_json::Value = grace.me(None).await.json().await.unwrap();
    assert_eq!(
        me["role"], "collaborator",
        "the new session has the new role"
    );
    assert_eq!(audited("user.role_changed").await, 1);
    // Ada is now the last owner: losing the group does not demote her.
    sign_in_with_groups(&app, "ada@example.com", &[]).await;
    assert_eq!(app.role_of("ada@example.com").await, "owner");
    assert_eq!(audited("user.role_sync_skipped").await, 1);
    // Back in the group: owner again.
    sign_in_with_groups(&app, "grace@example.com", &["gatehouse-owners"]).await;
    assert_eq!(app.role_of("grace@example.com").await, "owner");
    assert_eq!(audited("user.role_changed").await, 2);
    // Without role sync (the default) the first sign-in decides.
    let fixed = spawn_app(backend).await;
    sign_in_with_groups(&fixed, "grace@example.com", &["gatehouse-owners"]).await;
    sign_in_with_groups(&fixed, "grace@example.com", &[]).await;
    assert_eq!(fixed.role_of("grace@example.com").await, "owner");
}

fn signing_certificate(metadata: &str) -> String {
    let start = metadata
        .find("<ds:X509Certificate>")
        .expect("a certificate")
        + 20;
    let end = start + metadata[start..].find("</ds:X509Certificate>").unwrap();
    metadata[start..end].to_string()
}

async fn every_replica_signs_authn_requests_with_the_one_stored_sp_key(backend: Backend) {
    let first = spawn_app(backend).await;
    let url = first.database_url.clone();
    // A second replica on the same database.
    let second = spawn_app_with(backend, &[("GATEHOUSE_DATABASE_URL", url.as_str())]).await;
    let metadata = |app: &TestApp| {
        let url = app.url("/saml/metadata");
        async move { reqwest::get(url).await.unwrap().text().await.unwrap() }
    };
    let (a, b) = (metadata(&first).await, metadata(&second).await);
    assert!(a.contains("AuthnRequestsSigned=\"true\""), "{a}");
    assert_eq!(signing_certificate(&a), signing_certificate(&b));
    assert_eq!(first.count("sp_keys").await, 1);
    // Each replica's AuthnRequest verifies with the published certificate.
    for app in [&first, &second] {
        let (_, idp_url) = app.start_login("/").await;
        let idp_url = url::Url::parse(&idp_url).unwrap();
        let pem = format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            signing_certificate(&a)
        );
        let verifier = samael::crypto::UrlVerifier::from_x509_cert_pem(&pem).unwrap();
        assert!(verifier.verify_signed_request_url(&idp_url).unwrap());
    }
}

async fn idp_initiated_sign_in_when_enabled_is_guarded_only_by_the_replay_cache(backend: Backend) {
    let app = spawn_app_with(backend, &[("GATEHOUSE_ALLOW_IDP_INITIATED", "true")]).await;
    let (request, _) = app.start_login("/").await;
    let unsolicited = app.crafted_response("grace@example.com", &request, |r| {
        r.in_response_to = None;
        for d in confirmation_data(r) {
            d.in_response_to = None;
        }
    });
    let b64 = b64(unsolicited);
    // No request, so no browser binding: any browser may post it (documented as unbindable).
    let first = app.without_cookies();
    let acs = first.post_saml_response(&b64).await;
    assert_eq!(acs.status(), 303);
    assert_eq!(location(&acs), "/");
    assert_eq!(first.me(None).await.status(), 200);
    // The replay cache is the one guard left: the same assertion never signs in twice.
    let second = app.without_cookies();
    let replay = second.post_saml_response(&b64).await;
    assert_eq!(replay.status(), 403);
    assert!(replay.text().await.unwrap().contains("already used"));
    assert_eq!(second.me(None).await.status(), 401);
}

async fn sp_metadata_is_served_as_saml_metadata(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app.get("/saml/metadata").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/samlmetadata+xml"
    );
    let xml = response.text().await.unwrap();
    let parsed: samael::metadata::EntityDescriptor = xml.parse().unwrap();
    assert_eq!(parsed.entity_id, Some(app.url("/saml/metadata")));
    let acs = &parsed.sp_sso_descriptors.unwrap()[0].assertion_consumer_services[0];
    assert_eq!(acs.location, app.url("/saml/acs"));
    assert_eq!(acs.binding, samael::metadata::HTTP_POST_BINDING);
}

async fn login_redirects_to_the_idp_and_records_the_request(backend: Backend) {
    let app = spawn_app(backend).await;
    let (request, idp_url) = app.start_login("/credentials").await;
    assert!(idp_url.starts_with(&app.url("/dev-idp/sso?SAMLRequest=")));
    assert_eq!(request.acs_url, app.url("/saml/acs"));
    assert_eq!(request.issuer, app.url("/saml/metadata"));
    // A random UUID, not samael's 32-bit default.
    let uuid_part = request.id.strip_prefix("id-").expect("id- prefix");
    assert!(uuid::Uuid::parse_str(uuid_part).is_ok(), "{}", request.id);
    assert_eq!(app.count("saml_requests").await, 1);
}

async fn an_owner_signs_in_and_lands_on_next(backend: Backend) {
    let app = spawn_app(backend).await;
    let acs = app.sign_in_as("ada@example.com", "/credentials").await;
    assert_eq!(acs.status(), 303);
    assert_eq!(location(&acs), "/credentials");
    let cookie = session_cookie(&acs).expect("a session cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(
        !cookie.contains("Secure"),
        "plain-http public URL: {cookie}"
    );

    let me = app.me(None).await;
    assert_eq!(me.status(), 200);
    let me: serde_json::Value = me.json().await.unwrap();
    assert_eq!(me["email"], "ada@example.com");
    assert_eq!(me["display_name"], "Ada Lovelace");
    assert_eq!(me["role"], "owner");
    assert_eq!(me["org_name"], "Test Org");
    assert_eq!(me["org_id"], app.state.app.org.id);
    assert_eq!(app.count("users").await, 1);

    let page = app.get("/credentials").await;
    assert_eq!(page.status(), 200, "a signed-in user gets the page");
}

async fn a_collaborator_signs_in_with_the_collaborator_role(backend: Backend) {
    let app = spawn_app(backend).await;
    assert_eq!(app.sign_in_as("grace@example.com", "/").await.status(), 303);
    let me: serde_json::Value = app.me(None).await.json().await.unwrap();
    assert_eq!(me["role"], "collaborator");
}

async fn a_foreign_next_is_replaced_by_home(backend: Backend) {
    let app = spawn_app(backend).await;
    for next in [
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
    ] {
        let acs = app.sign_in_as("grace@example.com", next).await;
        assert_eq!(location(&acs), "/", "next={next}");
    }
}

async fn refused_responses_create_no_user_and_no_session(backend: Backend) {
    let app = spawn_app(backend).await;
    type Tweak = Box<dyn FnOnce(&mut SamlResponse)>;
    type Mangle = Box<dyn Fn(String) -> String>;
    let cases: Vec<(&str, &str, Tweak, Mangle)> = vec![
        (
            "tampered",
            "signature was invalid",
            Box::new(|_| {}),
            Box::new(|xml| xml.replace("grace@example.com", "ada@example.com")),
        ),
        (
            "unsigned",
            "was not signed",
            Box::new(|r| r.signature = None),
            Box::new(|xml| xml),
        ),
        (
            "wrong audience",
            "meant for a different service",
            Box::new(|r| {
                r.assertion
                    .as_mut()
                    .unwrap()
                    .conditions
                    .as_mut()
                    .unwrap()
                    .audience_restrictions = Some(vec![samael::schema::AudienceRestriction {
                    audience: vec!["https://other.example".into()],
                }])
            }),
            Box::new(|xml| xml),
        ),
        (
            "expired",
            "was expired",
            Box::new(|r| {
                let past = chrono::Utc::now() - chrono::Duration::hours(2);
                r.issue_instant = past;
                let a = r.assertion.as_mut().unwrap();
                a.issue_instant = past;
                a.conditions.as_mut().unwrap().not_on_or_after =
                    Some(past + chrono::Duration::minutes(5));
            }),
            Box::new(|xml| xml),
        ),
        (
            "doctype",
            "forbidden DOCTYPE",
            Box::new(|_| {}),
            Box::new(|xml| {
                let at = if xml.starts_with("<?xml") {
                    xml.find("?>").unwrap() + 2
                } else {
                    0
                };
                format!(
                    "{}<!DOCTYPE r [<!ENTITY e \"e\">]>{}",
                    &xml[..at],
                    &xml[at..]
                )
            }),
        ),
        (
            "two assertions",
            "exactly one assertion",
            Box::new(|_| {}),
            Box::new(|xml| {
                let open = xml.find(":Assertion ").unwrap();
                let start = xml[..open].rfind('<').unwrap();
                let end = xml.find(":Assertion>").unwrap() + ":Assertion>".len();
                format!("{}{}{}", &xml[..end], &xml[start..end], &xml[end..])
            }),
        ),
    ];
    for (name, message, tweak, mangle) in cases {
        let (request, _) = app.start_login("/").await;
        let xml = if name == "unsigned" {
            let idp = app.state.dev_idp.as_ref().unwrap();
            let mut r = idp.response_for(
                gatehouse_server::dev_idp::demo_user("grace@example.com").unwrap(),
                &request,
                chrono::Utc::now(),
            );
            tweak(&mut r);
            samael::traits::ToXml::to_string(&r).unwrap()
        } else {
            mangle(app.crafted_response("grace@example.com", &request, tweak))
        };
        let b64 = b64(xml);
        let acs = app.post_saml_response(&b64).await;
        assert_eq!(acs.status(), 403, "{name}");
        assert!(session_cookie(&acs).is_none(), "{name}: no session cookie");
        let page = acs.text().await.unwrap();
        assert!(page.contains("Sign-in failed: "), "{name}: {page}");
        assert!(
            page.contains(message),
            "{name}: expected {message:?} in {page}"
        );
        assert!(
            page.contains("data-testid=\"request-id\""),
            "{name}: a request id is shown"
        );
        assert!(
            !page.contains("samael") && !page.contains("panicked"),
            "{name}: no internals"
        );
        assert_eq!(app.count("users").await, 0, "{name}: no user");
        assert_eq!(app.count("sessions").await, 0, "{name}: no session");
        assert_eq!(app.me(None).await.status(), 401, "{name}");
    }
}

async fn a_response_cannot_be_used_twice(backend: Backend) {
    let app = spawn_app(backend).await;
    let (request, _) = app.start_login("/").await;
    let b64 = b64(app.crafted_response("grace@example.com", &request, |_| {}));
    assert_eq!(app.post_saml_response(&b64).await.status(), 303);
    // The same browser posting it again, and another browser, are both refused.
    let again = app.post_saml_response(&b64).await;
    assert_eq!(again.status(), 403);
    assert!(again
        .text()
        .await
        .unwrap()
        .contains("unknown, expired or already used"));
    let again = app.without_cookies().post_saml_response(&b64).await;
    assert_eq!(again.status(), 403);
    assert!(again
        .text()
        .await
        .unwrap()
        .contains("unknown, expired or already used"));
}

async fn a_replayed_assertion_id_is_refused_even_for_a_new_request(backend: Backend) {
    let app = spawn_app(backend).await;
    let (first, _) = app.start_login("/").await;
    let mut assertion_id = String::new();
    let xml = app.crafted_response("grace@example.com", &first, |r| {
        assertion_id = r.assertion.as_ref().unwrap().id.clone();
    });
    let b64 = b64(xml);
    assert_eq!(app.post_saml_response(&b64).await.status(), 303);

    let (second, _) = app.start_login("/").await;
    let replay = app.crafted_response("grace@example.com", &second, |r| {
        r.assertion.as_mut().unwrap().id = assertion_id.clone();
    });
    let b64 = crate::helpers::b64(replay);
    // Posted by the browser that started the second request: only the replay is wrong.
    let acs = app.post_saml_response(&b64).await;
    assert_eq!(acs.status(), 403);
    assert!(acs.text().await.unwrap().contains("already used"));
}

async fn a_response_to_an_unknown_request_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let (mut request, _) = app.start_login("/").await;
    request.id = format!("id-{}", uuid::Uuid::new_v4());
    let b64 = b64(app.crafted_response("ada@example.com", &request, |_| {}));
    let acs = app.post_saml_response(&b64).await;
    assert_eq!(acs.status(), 403);
    assert_eq!(app.count("users").await, 0);
}

async fn an_acs_post_without_a_response_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let acs = app
        .client
        .post(app.url("/saml/acs"))
        .form(&[("x", "y")])
        .send()
        .await
        .unwrap();
    assert_eq!(acs.status(), 400);
    assert!(acs.text().await.unwrap().contains("could not be read"));
    let junk = app.post_saml_response(&"A".repeat(10_000)).await;
    assert_eq!(junk.status(), 400);
}

async fn owner_emails_make_an_owner_on_first_sign_in_only(backend: Backend) {
    let app = spawn_app_with(
        backend,
        &[
            ("GATEHOUSE_OWNER_EMAILS", "Grace@Example.com"),
            ("GATEHOUSE_OWNER_GROUPS", "nobody"),
        ],
    )
    .await;
    app.sign_in_as("grace@example.com", "/").await;
    let me: serde_json::Value = app.me(None).await.json().await.unwrap();
    assert_eq!(me["role"], "owner");
    app.sign_in_as("ada@example.com", "/").await;
    let me: serde_json::Value = app.me(None).await.json().await.unwrap();
    assert_eq!(
        me["role"], "collaborator",
        "ada's group is no longer an owner group"
    );
    // A later sign-in does not reset a role.
    sqlx::query("UPDATE users SET role = 'collaborator' WHERE email = 'grace@example.com'")
        .execute(app.state.app.db.pool())
        .await
        .unwrap();
    app.sign_in_as("grace@example.com", "/").await;
    let me: serde_json::Value = app.me(None).await.json().await.unwrap();
    assert_eq!(me["role"], "collaborator");
}
